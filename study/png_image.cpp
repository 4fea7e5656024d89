#include "study/png_image.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "analysis/heatmap_png.h"

namespace ml {

void write_filter_grid_png(const std::string& path, const std::vector<float>& weights, int K, int C, int R,
                           int scale) {
  if (K < 1 || C < 1 || R < 1 || weights.size() != static_cast<size_t>(K) * C * R * R)
    throw std::invalid_argument(path + ": filter grid needs K x C x R x R weights");
  const int per_row = std::min(K, 8), grid_rows = (K + per_row - 1) / per_row;
  const int tile = R * scale, gap = 2;
  const int width = per_row * (tile + gap) + gap, height = grid_rows * (tile + gap) + gap;
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
