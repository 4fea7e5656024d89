// A grid of first-layer filters as a PNG (the study report, ml-filters).
// Matrices as heatmaps: analysis/heatmap_png.h.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ml {

// Filters [K, C, R, R] (PyTorch layout) as a grid, one tile per filter, each
// scaled symmetrically around 0 by its own largest |w| (grey = 0); C = 3 shows
// colour, otherwise the mean over channels. scale: pixels per weight.
void write_filter_grid_png(const std::string& path, const std::vector<float>& weights, int K, int C, int R,
                           int scale = 8);

// The grid's {width, height} in pixels, in 64 bits (a large scale overflows
// int), so a caller can refuse a size before anything is drawn or written.
std::pair<int64_t, int64_t> filter_grid_pixels(int K, int R, int scale);
constexpr int64_t kMaxPngSide = 16384;  // what ml-nmf --png-scale may ask for a side

}  // namespace ml
