#include "study/seed_stats.h"

#include <cmath>

namespace ml {

double t_quantile_975(int df) {
  // Exact to 3 decimals for df <= 30 (any statistics table); above, the Cornish-Fisher expansion around the
  // normal quantile, within 1e-4 of the true value.
  static const double table[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                 2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                                 2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  if (df < 1) return NAN;
  if (df <= 30) return table[df - 1];
  const double z = 1.959963984540054, d = df;
  return z + (z * z * z + z) / (4 * d) + (5 * std::pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * d * d);
}

MeanInterval mean_interval(const std::vector<double>& values) {
  MeanInterval m;
  double sum = 0;
  for (double v : values)
    if (!std::isnan(v)) sum += v, ++m.n;
  m.mean = m.n ? sum / m.n : NAN;
  m.sd = m.low = m.high = NAN;
  if (m.n < 2) return m;
  double ss = 0;
  for (double v : values)
    if (!std::isnan(v)) ss += (v - m.mean) * (v - m.mean);
  m.sd = std::sqrt(ss / (m.n - 1));
  const double half = t_quantile_975(m.n - 1) * m.sd / std::sqrt(static_cast<double>(m.n));
  m.low = m.mean - half;
  m.high = m.mean + half;
  return m;
}

}  // namespace ml
