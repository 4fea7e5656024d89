#include "analysis/bootstrap.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "base/rng.h"

namespace ml {

std::vector<int64_t> bootstrap_resample(int64_t n, int b, uint64_t seed) {
  // Resample b's own stream: the b-th set does not depend on how many came before it.
  Rng rng = Rng(seed).split(static_cast<uint64_t>(b) + 1);
  std::vector<int64_t> index(n);
  for (int64_t& i : index) i = static_cast<int64_t>(rng.next_u64() % static_cast<uint64_t>(n));
  return index;
}

BootstrapInterval percentile_interval(std::vector<double> values, double level) {
  if (!(level > 0 && level < 1)) throw std::invalid_argument("percentile_interval: level must be in (0, 1)");
  std::erase_if(values, [](double v) { return std::isnan(v); });
  BootstrapInterval out;
  out.draws = static_cast<int>(values.size());
  if (values.empty()) {
    out.low = out.high = std::numeric_limits<double>::quiet_NaN();
    return out;
  }
  std::sort(values.begin(), values.end());
  const auto at = [&](double q) {  // numpy.percentile, method "linear"
    const double pos = q * static_cast<double>(values.size() - 1);
    const size_t lo = static_cast<size_t>(std::floor(pos));
    const size_t hi = std::min(lo + 1, values.size() - 1);
    return values[lo] + (pos - static_cast<double>(lo)) * (values[hi] - values[lo]);
  };
  out.low = at((1 - level) / 2);
  out.high = at((1 + level) / 2);
  return out;
}

}  // namespace ml
