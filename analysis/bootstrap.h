// The bootstrap over probe images (Efron 1979; percentile interval): B
// resamples of the N images with replacement, drawn from one seeded stream so
// that two measures given the same (n, draws, seed) see the same resamples.
// A measure between two representations is resampled by indexing its N x N
// Gram or RDM with the same index set on both sides (never by recomputing
// features), which keeps B = 1000 on N = 1000 at seconds.
#pragma once
#include <cstdint>
#include <vector>

namespace ml {

struct BootstrapInterval {
  double low = 0, high = 0;  // percentile interval (NaN when every resample was NaN)
  int draws = 0;             // resamples drawn (n_boot); NaN resamples are left out of the interval
};

// Resample b of n indices in [0, n) with replacement; deterministic in (n, b, seed).
std::vector<int64_t> bootstrap_resample(int64_t n, int b, uint64_t seed);

// The (1 - level) / 2 and (1 + level) / 2 percentiles of values (linear
// interpolation between order statistics, as numpy.percentile's default),
// NaNs ignored. level in (0, 1).
BootstrapInterval percentile_interval(std::vector<double> values, double level = 0.95);

// Calls measure(indices) for each of `draws` resamples of n images and returns the percentile interval of the
// values. Throws std::invalid_argument for draws < 1 or n < 2.
template <class Measure>
BootstrapInterval bootstrap(int64_t n, int draws, uint64_t seed, Measure&& measure, double level = 0.95);

}  // namespace ml

#include "analysis/bootstrap_impl.h"
