#include "study/png_image.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "analysis/heatmap_png.h"

namespace ml {

namespace {
constexpr int kGridPerRow = 8, kGridGap = 2;
}  // namespace

std::pair<int64_t, int64_t> filter_grid_pixels(int K, int R, int scale) {
  const int64_t per_row = std::min(K, kGridPerRow), grid_rows = (K + per_row - 1) / per_row;
  const int64_t tile = int64_t{R} * scale;
  return {per_row * (tile + kGridGap) + kGridGap, grid_rows * (tile + kGridGap) + kGridGap};
}

void write_filter_grid_png(const std::string& path, const std::vector<float>& weights, int K, int C, int R,
                           int scale) {
  if (K < 1 || C < 1 || R < 1 || weights.size() != static_cast<size_t>(K) * C * R * R)
    throw std::invalid_argument(path + ": filter grid needs K x C x R x R weights");
  const auto [wide, high] = filter_grid_pixels(K, R, scale);
  if (wide > std::numeric_limits<int>::max() || high > std::numeric_limits<int>::max()) {
    throw std::invalid_argument(path + ": " + std::to_string(wide) + " x " + std::to_string(high) + " pixels");
  }
  const int per_row = std::min(K, kGridPerRow), tile = R * scale, gap = kGridGap;
  const int width = static_cast<int>(wide), height = static_cast<int>(high);
  std::vector<unsigned char> rgb(static_cast<size_t>(width) * height * 3, 255);
  for (int k = 0; k < K; ++k) {
    const float* w = weights.data() + static_cast<size_t>(k) * C * R * R;
    float peak = 0;
    for (int i = 0; i < C * R * R; ++i) peak = std::max(peak, std::fabs(w[i]));
    if (peak == 0) peak = 1;
    const int ox = gap + (k % per_row) * (tile + gap), oy = gap + (k / per_row) * (tile + gap);
    for (int y = 0; y < tile; ++y) {
      for (int x = 0; x < tile; ++x) {
        const int r = y / scale, c = x / scale;
        unsigned char* px = &rgb[(static_cast<size_t>(oy + y) * width + ox + x) * 3];
        for (int ch = 0; ch < 3; ++ch) {
          float v = 0;
          if (C == 3) {
            v = w[(ch * R + r) * R + c];
          } else {
            for (int i = 0; i < C; ++i) v += w[(i * R + r) * R + c];
            v /= static_cast<float>(C);
          }
          px[ch] = static_cast<unsigned char>(std::lround(127.5f + 127.5f * std::clamp(v / peak, -1.0f, 1.0f)));
        }
      }
    }
  }
  write_rgb_png(path, rgb, width, height);
}

}  // namespace ml
