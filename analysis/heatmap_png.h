// PNG pictures of analysis results: a matrix as a heatmap (viridis, low =
// dark purple, high = yellow) and 2-D points as a scatter coloured by group.
// Small matrices are scaled up (each entry a square block) so a 10 x 10 RDM is
// visible; large ones are averaged down in blocks to at most max_side pixels.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Dense>

namespace ml {

// An RGB image (width x height x 3 bytes, row-major) as a PNG, written
// atomically; throws std::runtime_error naming path on failure.
void write_rgb_png(const std::string& path, const std::vector<unsigned char>& rgb, int width, int height);

// viridis(t) for t in [0, 1] (clamped), into rgb[0..2].
void viridis_rgb(double t, unsigned char* rgb);

// Values mapped linearly from [vmin, vmax] (vmin == vmax: all mid colour).
// Written atomically; throws std::runtime_error naming path on failure.
void write_heatmap_png(const std::string& path, const Eigen::MatrixXd& m, double vmin, double vmax,
                       int min_side = 400, int max_side = 1000);

// points: n x 2; groups: n group ids (empty: one group), coloured from a
// 10-colour categorical palette; size x size pixels, white background.
void write_scatter_png(const std::string& path, const Eigen::MatrixXd& points, const std::vector<int64_t>& groups,
                       int size = 600);

}  // namespace ml
