#include "embeddings/filter_bank.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace ml {
namespace {

constexpr double kPi = 3.14159265358979323846;

void check_shape(int K, int C, int R) {
  if (K < 1 || C < 1 || R < 1) {
    throw std::invalid_argument("filter bank: bad shape K=" + std::to_string(K) + " C=" + std::to_string(C) +
                                " R=" + std::to_string(R));
  }
}

// n values geometric from lo to hi (n == 1: their geometric mean).
std::vector<double> geometric(int n, double lo, double hi) {
  std::vector<double> v(n);
  if (n == 1) {
    v[0] = std::sqrt(lo * hi);
    return v;
  }
  for (int i = 0; i < n; ++i) v[i] = lo * std::pow(hi / lo, static_cast<double>(i) / (n - 1));
  return v;
}

// Fills [K, C, R, R] from a spatial function f(k, x, y), the same in every channel.
template <typename F>
std::vector<float> fill_bank(int K, int C, int R, F f) {
  std::vector<float> w(static_cast<size_t>(K) * C * R * R);
  const double c0 = (R - 1) / 2.0;
  for (int k = 0; k < K; ++k) {
    for (int i = 0; i < R; ++i) {
      for (int j = 0; j < R; ++j) {
        const float v = static_cast<float>(f(k, j - c0, i - c0));
        for (int c = 0; c < C; ++c) w[((static_cast<size_t>(k) * C + c) * R + i) * R + j] = v;
      }
    }
  }
  return w;
}

}  // namespace

std::vector<GaborChannel> gabor_layout(int K, int R, const GaborOptions& o) {
  check_shape(K, 1, R);
  if (o.orientations < 1) throw std::invalid_argument("--gabor-orientations " + std::to_string(o.orientations) + ": must be >= 1");
  if (o.phases < 1 || o.phases > 4) throw std::invalid_argument("--gabor-phases " + std::to_string(o.phases) + ": must be 1..4");
  if (!(o.sigma_ratio > 0.0f)) throw std::invalid_argument("--gabor-sigma-ratio " + std::to_string(o.sigma_ratio) + ": must be > 0");
  if (!(o.gamma > 0.0f)) throw std::invalid_argument("--gabor-gamma " + std::to_string(o.gamma) + ": must be > 0");
  std::vector<double> wavelengths(o.wavelengths.begin(), o.wavelengths.end());
  for (double l : wavelengths) {
    if (!(l > 0.0) || !std::isfinite(l)) throw std::invalid_argument("--gabor-wavelengths " + std::to_string(l) + ": must be > 0");
  }
  if (wavelengths.empty()) {
    const int per_wavelength = o.orientations * o.phases;
    wavelengths = geometric(std::max(1, (K + per_wavelength - 1) / per_wavelength), 2.5, std::max(2.5, 1.5 * R));
  }
  std::vector<GaborChannel> all;
  for (double l : wavelengths) {
    for (int t = 0; t < o.orientations; ++t) {
      for (int p = 0; p < o.phases; ++p) {
        all.push_back({t * kPi / o.orientations, l, p * kPi / 2, o.sigma_ratio * l, static_cast<double>(o.gamma)});
      }
    }
  }
  std::vector<GaborChannel> layout(K);
  for (int k = 0; k < K; ++k) layout[k] = all[k % all.size()];
  return layout;
}

std::vector<float> gabor_bank(int K, int C, int R, const GaborOptions& o) {
  check_shape(K, C, R);
  const std::vector<GaborChannel> layout = gabor_layout(K, R, o);
  return fill_bank(K, C, R, [&](int k, double x, double y) {
    const GaborChannel& g = layout[k];
    const double xr = x * std::cos(g.theta) + y * std::sin(g.theta);
    const double yr = -x * std::sin(g.theta) + y * std::cos(g.theta);
    return std::exp(-(xr * xr + g.gamma * g.gamma * yr * yr) / (2 * g.sigma * g.sigma)) *
           std::cos(2 * kPi * xr / g.wavelength + g.phase);
  });
}

std::vector<DogChannel> dog_layout(int K, int R, const DogOptions& o) {
  check_shape(K, 1, R);
  if (o.scales < 0) throw std::invalid_argument("--dog-scales " + std::to_string(o.scales) + ": must be >= 0");
  if (!(o.sigma_min > 0.0f)) throw std::invalid_argument("--dog-sigma-min " + std::to_string(o.sigma_min) + ": must be > 0");
  if (o.sigma_max != 0.0f && !(o.sigma_max >= o.sigma_min)) {
    throw std::invalid_argument("--dog-sigma-max " + std::to_string(o.sigma_max) + ": must be 0 or >= --dog-sigma-min");
  }
  if (!(o.ratio > 1.0f)) throw std::invalid_argument("--dog-ratio " + std::to_string(o.ratio) + ": must be > 1");
  const int scales = o.scales > 0 ? o.scales : std::max(1, K / 2);
  const double hi = o.sigma_max > 0.0f ? o.sigma_max : std::max<double>(o.sigma_min, R / 3.0);
  const std::vector<double> sigmas = scales == 1 ? std::vector<double>{o.sigma_min} : geometric(scales, o.sigma_min, hi);
  std::vector<DogChannel> layout(K);
  for (int k = 0; k < K; ++k) {
    const double sc = sigmas[(k / 2) % scales];
    layout[k] = {sc, o.ratio * sc, k % 2 == 0 ? 1.0 : -1.0};
  }
  return layout;
}

std::vector<float> dog_bank(int K, int C, int R, const DogOptions& o) {
  check_shape(K, C, R);
  const std::vector<DogChannel> layout = dog_layout(K, R, o);
  const double c0 = (R - 1) / 2.0;
  auto grid_sum = [&](double sigma) {
    double z = 0;
    for (int i = 0; i < R; ++i) {
      for (int j = 0; j < R; ++j) z += std::exp(-((i - c0) * (i - c0) + (j - c0) * (j - c0)) / (2 * sigma * sigma));
    }
    return z;
  };
  std::vector<double> zc(K), zs(K);
  for (int k = 0; k < K; ++k) zc[k] = grid_sum(layout[k].sigma_center), zs[k] = grid_sum(layout[k].sigma_surround);
  return fill_bank(K, C, R, [&](int k, double x, double y) {
    const DogChannel& d = layout[k];
    const double r2 = x * x + y * y;
    return d.sign * (std::exp(-r2 / (2 * d.sigma_center * d.sigma_center)) / zc[k] -
                     std::exp(-r2 / (2 * d.sigma_surround * d.sigma_surround)) / zs[k]);
  });
}

void scale_filters(std::vector<float>& weights, int K, double norm) {
  if (K < 1 || weights.size() % K != 0) {
    throw std::invalid_argument("scale_filters: " + std::to_string(weights.size()) + " weights do not split into " +
                                std::to_string(K) + " filters");
  }
  const size_t n = weights.size() / K;
  for (int k = 0; k < K; ++k) {
    float* w = weights.data() + k * n;
    double s = 0;
    for (size_t i = 0; i < n; ++i) s += static_cast<double>(w[i]) * w[i];
    if (s <= 0) continue;
    const double f = norm / std::sqrt(s);
    for (size_t i = 0; i < n; ++i) w[i] = static_cast<float>(w[i] * f);
  }
}

}  // namespace ml
