// Eigen's AVX-512 kernels trip GCC 12's -Wmaybe-uninitialized inside avx512fintrin.h
// (a false positive in system code inlined into ours; see CMakeLists.txt).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "analysis/heatmap_png.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <stdexcept>

#define STB_IMAGE_WRITE_STATIC  // a private copy: no clash with other users of stb in the library
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

#include "base/atomic_file.h"

namespace ml {

void write_rgb_png(const std::string& path, const std::vector<unsigned char>& rgb, int width, int height) {
  std::string bytes;
  auto sink = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<size_t>(size));
  };
  if (!stbi_write_png_to_func(sink, &bytes, width, height, 3, rgb.data(), width * 3))
    throw std::runtime_error(path + ": PNG encoding failed");
  write_text_atomically(path, bytes);
}

void viridis_rgb(double t, unsigned char* rgb) {
  // viridis sampled at 0, 1/8, ..., 1 (matplotlib's table), linearly interpolated.
  static constexpr std::array<std::array<double, 3>, 9> kStops = {{{68, 1, 84},
                                                                   {71, 44, 122},
                                                                   {59, 81, 139},
                                                                   {44, 113, 142},
                                                                   {33, 144, 141},
                                                                   {39, 173, 129},
                                                                   {92, 200, 99},
                                                                   {170, 220, 50},
                                                                   {253, 231, 37}}};
  if (!std::isfinite(t)) t = 0;
  t = std::clamp(t, 0.0, 1.0) * 8.0;
  const int i = std::min(7, static_cast<int>(t));
  const double f = t - i;
  for (int c = 0; c < 3; ++c)
    rgb[c] = static_cast<unsigned char>(std::lround(kStops[i][c] + f * (kStops[i + 1][c] - kStops[i][c])));
}

void write_heatmap_png(const std::string& path, const Eigen::MatrixXd& m, double vmin, double vmax, int min_side,
                       int max_side) {
  if (m.rows() < 1 || m.cols() < 1) throw std::invalid_argument(path + ": empty matrix, no heatmap");
  // Average down in bins of `bin` entries when too large, then blow up each
  // (binned) entry to `scale` pixels when too small.
  const Eigen::Index longest = std::max(m.rows(), m.cols());
  const Eigen::Index bin = (longest + max_side - 1) / max_side;
  const Eigen::Index rows = (m.rows() + bin - 1) / bin, cols = (m.cols() + bin - 1) / bin;
  Eigen::MatrixXd b = Eigen::MatrixXd::Zero(rows, cols), count = Eigen::MatrixXd::Zero(rows, cols);
  for (Eigen::Index j = 0; j < m.cols(); ++j)
    for (Eigen::Index i = 0; i < m.rows(); ++i) b(i / bin, j / bin) += m(i, j), count(i / bin, j / bin) += 1;
  b.array() /= count.array();
  const int scale = std::max<int>(1, min_side / static_cast<int>(std::max(rows, cols)));
  const int width = static_cast<int>(cols) * scale, height = static_cast<int>(rows) * scale;
  const double span = vmax > vmin ? vmax - vmin : 0;
  std::vector<unsigned char> rgb(static_cast<size_t>(width) * height * 3);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      const double v = b(y / scale, x / scale);
      viridis_rgb(span > 0 ? (v - vmin) / span : 0.5, &rgb[(static_cast<size_t>(y) * width + x) * 3]);
    }
  write_rgb_png(path, rgb, width, height);
}

void write_scatter_png(const std::string& path, const Eigen::MatrixXd& points, const std::vector<int64_t>& groups,
                       int size) {
  if (points.cols() < 2 || points.rows() < 1) throw std::invalid_argument(path + ": scatter needs n x 2 points");
  if (!groups.empty() && static_cast<Eigen::Index>(groups.size()) != points.rows())
    throw std::invalid_argument(path + ": " + std::to_string(groups.size()) + " groups for " +
                                std::to_string(points.rows()) + " points");
  // The categorical "tab10" palette.
  static constexpr unsigned char kPalette[10][3] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44},  {214, 39, 40},
                                                    {148, 103, 189}, {140, 86, 75},  {227, 119, 194}, {127, 127, 127},
                                                    {188, 189, 34},  {23, 190, 207}};
  std::map<int64_t, int> colour;
  for (int64_t g : groups) colour.emplace(g, 0);
  int next = 0;
  for (auto& [g, c] : colour) c = next++ % 10;
  std::vector<unsigned char> rgb(static_cast<size_t>(size) * size * 3, 255);
  const double margin = 0.06 * size, radius = std::clamp(size / 100.0, 2.0, 6.0);
  const double x0 = points.col(0).minCoeff(), x1 = points.col(0).maxCoeff();
  const double y0 = points.col(1).minCoeff(), y1 = points.col(1).maxCoeff();
  const double span = std::max({x1 - x0, y1 - y0, 1e-300});  // same scale on both axes
  const double usable = size - 2 * margin;
  for (Eigen::Index i = 0; i < points.rows(); ++i) {
    const double cx = margin + (points(i, 0) - x0) / span * usable + (span - (x1 - x0)) / span * usable / 2;
    const double cy = size - margin - ((points(i, 1) - y0) / span * usable + (span - (y1 - y0)) / span * usable / 2);
    const unsigned char* c = kPalette[groups.empty() ? 0 : colour[groups[static_cast<size_t>(i)]]];
    for (int y = static_cast<int>(cy - radius - 1); y <= static_cast<int>(cy + radius + 1); ++y)
      for (int x = static_cast<int>(cx - radius - 1); x <= static_cast<int>(cx + radius + 1); ++x) {
        if (x < 0 || y < 0 || x >= size || y >= size) continue;
        const double d = std::hypot(x + 0.5 - cx, y + 0.5 - cy);
        if (d > radius) continue;
        unsigned char* px = &rgb[(static_cast<size_t>(y) * size + x) * 3];
        const bool edge = d > radius - 1.0;
        for (int k = 0; k < 3; ++k) px[k] = edge ? static_cast<unsigned char>(c[k] / 2) : c[k];
      }
  }
  write_rgb_png(path, rgb, size, size);
}

}  // namespace ml
