// Eigen's AVX-512 kernels trip GCC 12's -Wmaybe-uninitialized inside avx512fintrin.h
// (a false positive in system code inlined into ours; see CMakeLists.txt).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "analysis/pca.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "analysis/gram.h"

namespace ml {

namespace {

int components_for(const Eigen::VectorXd& ratio, double share) {
  double cum = 0;
  for (Eigen::Index i = 0; i < ratio.size(); ++i) {
    cum += ratio(i);
    if (cum >= share - 1e-12) return static_cast<int>(i + 1);
  }
  return static_cast<int>(ratio.size());
}

}  // namespace

PcaResult pca(const Eigen::MatrixXd& x, int k) {
  if (x.rows() < 2) throw std::invalid_argument("PCA needs at least 2 rows, got " + std::to_string(x.rows()));
  const Eigen::MatrixXd xc = x.rowwise() - x.colwise().mean();
  const Eigen::Index n = x.rows(), d = x.cols();
  const bool by_features = d <= n;
  // Symmetric product of the smaller side: D x D scatter or N x N gram.
  const Eigen::MatrixXd s = by_features ? column_gram(xc) : row_gram(xc);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(s);
  if (eig.info() != Eigen::Success) throw std::runtime_error("PCA: eigendecomposition failed");
  const Eigen::Index m = s.rows();
  // Eigen returns ascending order: reverse.
  Eigen::VectorXd values = eig.eigenvalues().reverse().cwiseMax(0.0);
  const Eigen::Index rank = std::min<Eigen::Index>(m, n - 1);  // centring removes one dimension
  values = values.head(rank).eval();
  const double total = values.sum();
  if (!(total > 0)) throw std::invalid_argument("PCA: every feature is constant (zero variance)");
  PcaResult r;
  r.variances = values / static_cast<double>(n - 1);
  r.explained_ratio = values / total;
  r.participation_ratio = total * total / values.squaredNorm();
  r.components_90 = components_for(r.explained_ratio, 0.90);
  r.components_95 = components_for(r.explained_ratio, 0.95);
  r.components_99 = components_for(r.explained_ratio, 0.99);
  const Eigen::Index kk = std::clamp<Eigen::Index>(k, 0, rank);
  r.projections.resize(n, kk);
  for (Eigen::Index c = 0; c < kk; ++c) {
    const Eigen::VectorXd v = eig.eigenvectors().col(m - 1 - c);
    // Scores: X V (by features), or U sqrt(lambda) (by examples: X X^T u = lambda u).
    Eigen::VectorXd p = by_features ? Eigen::VectorXd(xc * v) : Eigen::VectorXd(v * std::sqrt(values(c)));
    Eigen::Index arg = 0;
    p.cwiseAbs().maxCoeff(&arg);
    if (p(arg) < 0) p = -p;
    r.projections.col(c) = p;
  }
  return r;
}

double participation_ratio_from_gram(const Eigen::MatrixXd& gram) {
  const Eigen::VectorXd row_mean = gram.rowwise().mean();
  const double grand = row_mean.mean();
  Eigen::MatrixXd c = gram;
  c.colwise() -= row_mean;
  c.rowwise() -= row_mean.transpose();
  c.array() += grand;
  const double trace = c.trace(), squares = c.squaredNorm();
  // all-constant data: the centred gram is zero up to rounding
  if (!(trace > 1e-12 * std::max(gram.trace(), 1e-300))) return NAN;
  return trace * trace / squares;
}

}  // namespace ml
