// Eigen's AVX-512 kernels trip GCC 12's -Wmaybe-uninitialized inside avx512fintrin.h
// (a false positive in system code inlined into ours; see CMakeLists.txt).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "analysis/mds.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace ml {

MdsResult classical_mds(const Eigen::MatrixXd& d, int dims) {
  const Eigen::Index n = d.rows();
  if (n != d.cols())
    throw std::invalid_argument("MDS needs a square dissimilarity matrix, got " + std::to_string(d.rows()) + " x " +
                                std::to_string(d.cols()));
  if (n < 2) throw std::invalid_argument("MDS needs at least 2 items");
  const double scale = std::max(1.0, d.cwiseAbs().maxCoeff());
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = i + 1; j < n; ++j)
      if (std::fabs(d(i, j) - d(j, i)) > 1e-9 * scale)
        throw std::invalid_argument("MDS needs a symmetric matrix: entry (" + std::to_string(i) + ", " +
                                    std::to_string(j) + ") differs from (" + std::to_string(j) + ", " +
                                    std::to_string(i) + ")");
  Eigen::MatrixXd b = d.cwiseProduct(d);
  b = 0.5 * (b + b.transpose()).eval();
  const Eigen::VectorXd col_means = b.colwise().mean().transpose();
  const double grand = col_means.mean();
  b.colwise() -= col_means;
  b.rowwise() -= col_means.transpose();
  b.array() += grand;
  b *= -0.5;
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(b);
  if (eig.info() != Eigen::Success) throw std::runtime_error("MDS: eigendecomposition failed");
  MdsResult r;
  r.eigenvalues = eig.eigenvalues().reverse();
  const Eigen::Index k = std::clamp<Eigen::Index>(dims, 1, n);
  r.coordinates.resize(n, k);
  for (Eigen::Index c = 0; c < k; ++c) {
    Eigen::VectorXd v = eig.eigenvectors().col(n - 1 - c) * std::sqrt(std::max(0.0, r.eigenvalues(c)));
    Eigen::Index arg = 0;
    v.cwiseAbs().maxCoeff(&arg);
    if (v(arg) < 0) v = -v;
    r.coordinates.col(c) = v;
  }
  const double positive = r.eigenvalues.cwiseMax(0.0).sum();
  r.explained = positive > 0 ? r.eigenvalues.head(k).cwiseMax(0.0).sum() / positive : 0.0;
  return r;
}

}  // namespace ml
