// Gabor and difference-of-Gaussians banks against their closed forms, written
// out again here, at every grid point; DoG sums to zero; the rescaling matches
// the default init's filter norm.
#include <cmath>

#include "embeddings/filter_bank.h"
#include "engine/network.h"
#include "test_util.h"

using namespace ml;

namespace {

constexpr double kPi = 3.14159265358979323846;

double at(const std::vector<float>& w, int C, int R, int k, int c, int i, int j) {
  return w[((static_cast<size_t>(k) * C + c) * R + i) * R + j];
}

}  // namespace

TEST_CASE("gabor bank matches the closed form at every grid point", "[embeddings][gabor]") {
  GaborOptions o;
  o.orientations = 4;
  o.phases = 2;
  o.wavelengths = {3.0f, 5.0f};
  o.sigma_ratio = 0.5f;
  o.gamma = 0.7f;
  const int K = 16, C = 2, R = 5;
  const std::vector<float> w = gabor_bank(K, C, R, o);
  REQUIRE(w.size() == static_cast<size_t>(K) * C * R * R);
  for (int k = 0; k < K; ++k) {
    // phase fastest, then orientation, then wavelength
    const double phase = (k % 2) * kPi / 2, theta = ((k / 2) % 4) * kPi / 4, lambda = k < 8 ? 3.0 : 5.0;
    const double sigma = 0.5 * lambda, gamma = 0.7;
    for (int i = 0; i < R; ++i) {
      for (int j = 0; j < R; ++j) {
        const double x = j - 2.0, y = i - 2.0;
        const double xr = x * std::cos(theta) + y * std::sin(theta), yr = -x * std::sin(theta) + y * std::cos(theta);
        const double want =
            std::exp(-(xr * xr + gamma * gamma * yr * yr) / (2 * sigma * sigma)) * std::cos(2 * kPi * xr / lambda + phase);
        INFO("k " << k << " at (" << i << ", " << j << ")");
        CHECK(std::fabs(at(w, C, R, k, 0, i, j) - want) <= 1e-6);
        CHECK(at(w, C, R, k, 1, i, j) == at(w, C, R, k, 0, i, j));  // the same in every input channel
      }
    }
  }
  // centre of an even filter: exp(0) cos(0) = 1; of an odd one: cos(pi/2) = 0
  CHECK(at(w, C, R, 0, 0, 2, 2) == Approx(1.0));
  CHECK(std::fabs(at(w, C, R, 1, 0, 2, 2)) < 1e-7);
}

TEST_CASE("gabor layout fills the channels: defaults, repeats and truncation", "[embeddings][gabor]") {
  const auto layout = gabor_layout(32, 3, GaborOptions{});  // 8 orientations x 2 phases x 2 wavelengths
  REQUIRE(layout.size() == 32);
  CHECK(layout[0].wavelength == Approx(2.5));
  CHECK(layout[31].wavelength == Approx(4.5));
  CHECK(layout[31].theta == Approx(7 * kPi / 8));
  GaborOptions small;
  small.orientations = 2;
  small.phases = 1;
  small.wavelengths = {4.0f};
  const auto repeated = gabor_layout(5, 3, small);
  CHECK(repeated[2].theta == repeated[0].theta);
  CHECK(repeated[3].theta == repeated[1].theta);
  CHECK(gabor_layout(1, 3, GaborOptions{}).size() == 1);
  GaborOptions bad;
  bad.phases = 5;
  CHECK_THROWS_WITH(gabor_layout(8, 3, bad), Catch::Contains("--gabor-phases 5"));
  bad = {};
  bad.wavelengths = {-1.0f};
  CHECK_THROWS_WITH(gabor_layout(8, 3, bad), Catch::Contains("--gabor-wavelengths"));
}

TEST_CASE("difference of Gaussians matches the closed form and sums to zero", "[embeddings][dog]") {
  DogOptions o;
  o.scales = 3;
  o.sigma_min = 0.6f;
  o.sigma_max = 1.5f;
  o.ratio = 1.6f;
  const int K = 8, C = 3, R = 5;
  const std::vector<float> w = dog_bank(K, C, R, o);
  const double sigmas[3] = {0.6, std::sqrt(0.6 * 1.5), 1.5};
  for (int k = 0; k < K; ++k) {
    const double sc = sigmas[(k / 2) % 3], ss = 1.6 * sc, sign = k % 2 == 0 ? 1.0 : -1.0;
    double zc = 0, zs = 0;
    for (int i = 0; i < R; ++i) {
      for (int j = 0; j < R; ++j) {
        const double r2 = (i - 2.0) * (i - 2.0) + (j - 2.0) * (j - 2.0);
        zc += std::exp(-r2 / (2 * sc * sc));
        zs += std::exp(-r2 / (2 * ss * ss));
      }
    }
    double sum = 0, sum_abs = 0;
    for (int i = 0; i < R; ++i) {
      for (int j = 0; j < R; ++j) {
        const double r2 = (i - 2.0) * (i - 2.0) + (j - 2.0) * (j - 2.0);
        const double want = sign * (std::exp(-r2 / (2 * sc * sc)) / zc - std::exp(-r2 / (2 * ss * ss)) / zs);
        INFO("k " << k << " at (" << i << ", " << j << ")");
        for (int c = 0; c < C; ++c) CHECK(std::fabs(at(w, C, R, k, c, i, j) - want) <= 1e-7);
        sum += at(w, C, R, k, 0, i, j);
        sum_abs += std::fabs(at(w, C, R, k, 0, i, j));
      }
    }
    // Each discrete Gaussian sums to 1 on the grid, so the difference sums to 0
    // up to float rounding: |sum| <= 1e-6 * sum |w|.
    INFO("k " << k << " sum " << sum << " of |w| " << sum_abs);
    CHECK(std::fabs(sum) <= 1e-6 * sum_abs);
    CHECK(sign * at(w, C, R, k, 0, 2, 2) > 0);  // on centre: positive middle; off: negative
  }
  SECTION("defaults on the seed LeNet's 3x3: K/2 scales, sums still zero") {
    const std::vector<float> d = dog_bank(32, 1, 3, DogOptions{});
    const auto layout = dog_layout(32, 3, DogOptions{});
    CHECK(layout[0].sigma_center == Approx(0.5));
    CHECK(layout[30].sigma_center == Approx(1.0));  // R / 3
    for (int k = 0; k < 32; ++k) {
      double sum = 0, sum_abs = 0;
      for (int i = 0; i < 9; ++i) sum += d[k * 9 + i], sum_abs += std::fabs(d[k * 9 + i]);
      CHECK(std::fabs(sum) <= 1e-6 * sum_abs);
    }
  }
  DogOptions bad;
  bad.ratio = 1.0f;
  CHECK_THROWS_WITH(dog_layout(8, 3, bad), Catch::Contains("--dog-ratio"));
}

TEST_CASE("filters are scaled to the default init's expected norm 1/sqrt(3)", "[embeddings]") {
  std::vector<float> w = gabor_bank(8, 1, 3, GaborOptions{});
  w.insert(w.end(), 9, 0.0f);  // an all-zero filter stays zero
  scale_filters(w, 9);
  for (int k = 0; k < 8; ++k) {
    double s = 0;
    for (int i = 0; i < 9; ++i) s += double(w[k * 9 + i]) * w[k * 9 + i];
    CHECK(std::sqrt(s) == Approx(kDefaultFilterNorm).epsilon(1e-6));
  }
  for (int i = 72; i < 81; ++i) CHECK(w[i] == 0.0f);
  // The default init's filters have that norm on average (here 256 filters of 3x3 and 5x5x3).
  struct Case { const char* spec; int C; };
  for (const Case& t : {Case{"conv256k3-relu-flatten-fc10", 1}, Case{"conv256k5-relu-flatten-fc10", 3}}) {
    const char* spec = t.spec;
    Network net(spec, {t.C, 8, 8}, 7);
    const std::vector<float> v = net.layer(0).weight()->value.to_vector();
    const size_t n = v.size() / 256;
    double mean_norm2 = 0;
    for (int k = 0; k < 256; ++k) {
      double s = 0;
      for (size_t i = 0; i < n; ++i) s += double(v[k * n + i]) * v[k * n + i];
      mean_norm2 += s / 256;
    }
    INFO(spec);
    CHECK(std::sqrt(mean_norm2) == Approx(kDefaultFilterNorm).epsilon(0.05));
  }
  CHECK_THROWS(scale_filters(w, 7));
}
