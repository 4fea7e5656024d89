#include "analysis/error_consistency.h"

#include <limits>
#include <stdexcept>
#include <string>

namespace ml {

namespace {

void require_pairs(size_t a, size_t b, const char* what) {
  if (a != b)
    throw std::invalid_argument(std::string(what) + ": " + std::to_string(a) + " and " + std::to_string(b) +
                                " values");
  if (a == 0) throw std::invalid_argument(std::string(what) + ": no images");
}

double kappa(double observed, double expected) {
  if (expected == 1.0) return std::numeric_limits<double>::quiet_NaN();
  return (observed - expected) / (1.0 - expected);
}

}  // namespace

double error_consistency(const std::vector<double>& correct, const std::vector<double>& people_correct) {
  require_pairs(correct.size(), people_correct.size(), "error consistency");
  double acc_m = 0, acc_h = 0, observed = 0;
  for (size_t i = 0; i < correct.size(); ++i) {
    const double c = correct[i], h = people_correct[i];
    acc_m += c;
    acc_h += h;
    observed += c * h + (1 - c) * (1 - h);
  }
  const double n = static_cast<double>(correct.size());
  acc_m /= n, acc_h /= n, observed /= n;
  return kappa(observed, acc_m * acc_h + (1 - acc_m) * (1 - acc_h));
}

double error_consistency_ceiling(const std::vector<double>& right, const std::vector<double>& people) {
  require_pairs(right.size(), people.size(), "error consistency ceiling");
  double acc_h = 0, observed = 0;
  for (size_t i = 0; i < right.size(); ++i) {
    const double k = right[i], n = people[i];
    if (n < 2) throw std::invalid_argument("error consistency ceiling: image " + std::to_string(i) + " has " +
                                           std::to_string(static_cast<long long>(n)) + " people, needs at least 2");
    acc_h += k / n;
    observed += (k * (k - 1) + (n - k) * (n - k - 1)) / (n * (n - 1));
  }
  const double images = static_cast<double>(right.size());
  acc_h /= images, observed /= images;
  return kappa(observed, acc_h * acc_h + (1 - acc_h) * (1 - acc_h));
}

}  // namespace ml
