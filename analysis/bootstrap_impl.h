// Template body of analysis/bootstrap.h.
#pragma once
#include <stdexcept>
#include <string>

namespace ml {

template <class Measure>
BootstrapInterval bootstrap(int64_t n, int draws, uint64_t seed, Measure&& measure, double level) {
  if (draws < 1) throw std::invalid_argument("--bootstrap " + std::to_string(draws) + ": needs at least 1 resample");
  if (n < 2) throw std::invalid_argument("bootstrap: needs at least 2 images, got " + std::to_string(n));
  std::vector<double> values(draws);
  for (int b = 0; b < draws; ++b) values[b] = measure(bootstrap_resample(n, b, seed));
  BootstrapInterval interval = percentile_interval(std::move(values), level);
  interval.draws = draws;
  return interval;
}

}  // namespace ml
