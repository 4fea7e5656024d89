// Eigen's AVX-512 kernels trip GCC 12's -Wmaybe-uninitialized inside avx512fintrin.h
// (a false positive in system code inlined into ours; see CMakeLists.txt).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "analysis/matrix_io.h"

#include <cmath>
#include <stdexcept>

#include "datasets/npy.h"

namespace ml {

void require_finite(const Eigen::MatrixXd& m, const std::string& what) {
  if (m.allFinite()) return;
  for (Eigen::Index r = 0; r < m.rows(); ++r) {
    for (Eigen::Index c = 0; c < m.cols(); ++c) {
      const double v = m(r, c);
      if (!std::isfinite(v)) {
        throw std::runtime_error(what + ": row " + std::to_string(r) + " column " + std::to_string(c) + " is " +
                                 (std::isnan(v) ? "nan" : "inf"));
      }
    }
  }
}

Eigen::MatrixXd load_matrix_npy(const std::string& path) { return matrix_from_npy(read_npy(path), path); }

std::vector<int64_t> load_labels_npy(const std::string& path) { return labels_from_npy(read_npy(path), path); }

Eigen::MatrixXd matrix_from_npy(const NpyArray& a, const std::string& path) {
  if (a.shape.empty()) throw std::runtime_error(path + ": a 0-d array, expected N x features");
  const int64_t rows = a.rows(), cols = a.shape.size() == 1 ? 1 : a.cols();
  if (rows < 1 || cols < 1) throw std::runtime_error(path + ": empty array (no rows or no features)");
  // C order in the file: map as row-major, copy into Eigen's column-major.
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Eigen::MatrixXd m = Eigen::Map<const RowMajor>(a.data.data(), rows, cols);
  require_finite(m, path);
  return m;
}

std::vector<int64_t> labels_from_npy(const NpyArray& a, const std::string& path) {
  if (a.shape.empty() || (a.shape.size() == 2 && a.shape[1] != 1) || a.shape.size() > 2)
    throw std::runtime_error(path + ": labels must be a 1-d array of N integers");
  std::vector<int64_t> labels(a.data.size());
  for (size_t i = 0; i < a.data.size(); ++i) {
    const double v = a.data[i];
    // (beyond +-2^53 no double is a label anyway; the bound keeps the cast defined)
    if (!std::isfinite(v) || v != std::floor(v) || std::fabs(v) > 9007199254740992.0)
      throw std::runtime_error(path + ": row " + std::to_string(i) + " is not an integer label");
    labels[i] = static_cast<int64_t>(v);
  }
  return labels;
}

void write_matrix_npy(const std::string& path, const Eigen::MatrixXd& m) {
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const RowMajor r = m;
  write_npy(path, r.data(), {static_cast<int64_t>(m.rows()), static_cast<int64_t>(m.cols())});
}

}  // namespace ml
