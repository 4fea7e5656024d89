// Statistics over seeds: mean, sample standard deviation and the 95%
// Student-t interval of a mean (or of a paired difference: a rule's seed s
// against bp's seed s, the same initial weights and data order).
#pragma once
#include <vector>

namespace ml {

struct MeanInterval {
  double mean = 0, sd = 0;  // sd NaN for one value
  double low = 0, high = 0;  // 95% t interval of the mean; NaN for fewer than 2 values
  int n = 0;
};

// The 0.975 quantile of Student's t with df degrees of freedom (df >= 1).
double t_quantile_975(int df);

// mean +- t(0.975, n - 1) sd / sqrt(n); NaNs in values are left out.
MeanInterval mean_interval(const std::vector<double>& values);

}  // namespace ml
