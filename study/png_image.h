// PNG pictures for the study report where a pixel image says more than a
// chart: a large matrix (an N x N RDM) and a grid of first-layer filters.
#pragma once
#include <string>
#include <vector>

namespace ml {

// rows x cols values (row-major) in viridis from vmin to vmax, each value a
// scale x scale block. Throws std::runtime_error naming path on failure.
void write_matrix_png(const std::string& path, const std::vector<double>& values, int rows, int cols, double vmin,
                      double vmax, int scale = 1);

// Filters [K, C, R, R] (PyTorch layout) as a grid, one tile per filter, each
// scaled symmetrically around 0 by its own largest |w| (grey = 0); C = 3 shows
// colour, otherwise the mean over channels. scale: pixels per weight.
void write_filter_grid_png(const std::string& path, const std::vector<float>& weights, int K, int C, int R,
                           int scale = 8);

}  // namespace ml
