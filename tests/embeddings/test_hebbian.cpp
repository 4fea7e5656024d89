// Krotov-Hopfield competitive Hebbian learning: every unit's p-norm converges
// to the rule's fixed point 1, and on a synthetic bar data set the learned
// filters become localized on single bars.
// Eigen's AVX-512 kernels trip GCC 12's -Wmaybe-uninitialized inside avx512fintrin.h
// (a false positive in system code inlined into ours; see CMakeLists.txt).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <algorithm>
#include <cmath>

#include "embeddings/hebbian.h"
#include "base/rng.h"
#include "test_util.h"

using namespace ml;

namespace {

constexpr int kSide = 8, kD = kSide * kSide;

// One bar per 8 x 8 image (8 horizontal, 8 vertical, at 1.0) on uniform noise
// in [0, 0.2), each image's mean subtracted (centred, as conv1's normalized
// input is; on raw non-negative bars some units never win and stay random).
std::vector<float> bars(int n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> x(static_cast<size_t>(n) * kD);
  for (int s = 0; s < n; ++s) {
    float* img = x.data() + static_cast<size_t>(s) * kD;
    for (int i = 0; i < kD; ++i) img[i] = 0.2f * rng.uniform();
    const int bar = static_cast<int>(rng.next_u64() % (2 * kSide));
    for (int t = 0; t < kSide; ++t) img[bar < kSide ? bar * kSide + t : t * kSide + bar - kSide] = 1.0f;
    float mean = 0;
    for (int i = 0; i < kD; ++i) mean += img[i] / kD;
    for (int i = 0; i < kD; ++i) img[i] -= mean;
  }
  return x;
}

// Localization of one filter: the largest share of its squared weights that
// lies on one bar (a row or a column). Spread evenly it is 8/64 = 0.125; a
// filter that is one bar scores 1, a centred bar (7/8 on the bar, -1/8
// elsewhere) 0.875.
double bar_share(const float* w) {
  double total = 0, best = 0;
  for (int i = 0; i < kD; ++i) total += double(w[i]) * w[i];
  for (int b = 0; b < 2 * kSide; ++b) {
    double s = 0;
    for (int t = 0; t < kSide; ++t) {
      const float v = w[b < kSide ? b * kSide + t : t * kSide + b - kSide];
      s += double(v) * v;
    }
    best = std::max(best, s);
  }
  return best / total;
}

}  // namespace

TEST_CASE("hebbian: weights converge to unit p-norm and filters localize on bars", "[embeddings][hebbian]") {
  const int n = 4000, units = 16;
  const std::vector<float> x = bars(n, 2);
  HebbianOptions o;
  o.epochs = 20;
  o.lr = 0.04f;
  const HebbianResult r = krotov_hopfield(x, n, kD, units, o, 5);
  REQUIRE(r.norms.size() == static_cast<size_t>(o.epochs) * units);
  REQUIRE(r.weights.size() == static_cast<size_t>(units) * kD);
  // Every unit won samples in the last epoch (none stayed at its random init).
  for (int u = 0; u < units; ++u) CHECK(r.wins[u] > 0);
  // The rule's fixed point is ||W_mu||_3 = 1. The init, normal(0, 1) in 64
  // dimensions, starts near 4.7; after the last epoch every norm is within 2% of 1.
  for (int u = 0; u < units; ++u) {
    INFO("unit " << u << ": p-norm after epoch 1 " << r.norms[u] << ", at the end " << r.norms[(o.epochs - 1) * units + u]);
    CHECK(std::fabs(r.norms[(o.epochs - 1) * units + u] - 1.0) < 0.02);
    CHECK(std::fabs(p_norm(r.weights.data() + u * kD, kD, 3.0) - 1.0) < 0.02);
  }
  // Localization: every unit's bar share >= 0.8 (0.875 is a perfect centred
  // bar; random filters score about 0.25, the next test case).
  std::string all;
  double lowest = 1;
  for (int u = 0; u < units; ++u) {
    const double s = bar_share(r.weights.data() + static_cast<size_t>(u) * kD);
    all += std::to_string(s).substr(0, 4) + " ";
    lowest = std::min(lowest, s);
  }
  INFO("bar shares: " << all);
  CHECK(lowest >= 0.8);
  // Deterministic from the seed.
  CHECK(krotov_hopfield(x, n, kD, units, o, 5).weights == r.weights);
}

TEST_CASE("hebbian: the bar share of random filters is low", "[embeddings][hebbian]") {
  Rng rng(1);
  std::vector<float> r(kD);
  double mean = 0;
  for (int t = 0; t < 50; ++t) {
    for (auto& v : r) v = rng.normal();
    mean += bar_share(r.data()) / 50;
  }
  CHECK(mean < 0.35);
}

TEST_CASE("hebbian: bad options are named", "[embeddings][hebbian]") {
  const std::vector<float> x = bars(10, 1);
  HebbianOptions o;
  o.p = 1.0f;
  CHECK_THROWS_WITH(krotov_hopfield(x, 10, kD, 4, o, 1), Catch::Contains("--hebbian-p"));
  o = {};
  o.k = 9;
  CHECK_THROWS_WITH(krotov_hopfield(x, 10, kD, 4, o, 1), Catch::Contains("--hebbian-k 9"));
  CHECK_THROWS(krotov_hopfield(x, 11, kD, 4, HebbianOptions{}, 1));
}
