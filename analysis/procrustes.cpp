// Eigen's AVX-512 kernels trip GCC 12's -Wmaybe-uninitialized inside avx512fintrin.h
// (a false positive in system code inlined into ours; see CMakeLists.txt).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "analysis/procrustes.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "analysis/centred_svd.h"

namespace ml {

namespace {

// An N x r factor F of the (partially whitened) centred side: F F^T = (X Z)(X Z)^T,
// so that ||(X Z)^T (Y Z')||_* = ||F_x^T F_y||_* and ||X Z||_F = ||F_x||_F.
struct Side {
  Eigen::MatrixXd f;
  Eigen::Index rank = 0;
};

Side whitened_factor(Eigen::MatrixXd xc, double alpha, const std::string& name) {
  Side side;
  if (alpha == 1.0 && xc.cols() <= xc.rows()) {
    // Nothing to whiten and already narrow: X itself (V = I).
    if (xc.squaredNorm() == 0)
      throw std::invalid_argument("procrustes: " + name + " has no variance (every column is constant)");
    side.rank = xc.cols();
    side.f = std::move(xc);
    return side;
  }
  const CentredSvd svd = centred_svd(xc);
  side.rank = svd.s.size();
  if (side.rank == 0)
    throw std::invalid_argument("procrustes: " + name + " has no variance (every column is constant)");
  const double floor = kWhitenFloor * svd.s(0) * svd.s(0);
  Eigen::VectorXd f(side.rank);
  for (Eigen::Index i = 0; i < side.rank; ++i) {
    const double s = svd.s(i);
    f(i) = alpha * s + (1 - alpha) * s / std::sqrt(std::max(s * s, floor));
  }
  side.f = svd.u * f.asDiagonal();
  return side;
}

// Sum of the singular values, from the eigenvalues of the smaller of M M^T and M^T M.
double nuclear_norm(const Eigen::MatrixXd& m) {
  const Eigen::MatrixXd g = m.rows() <= m.cols() ? Eigen::MatrixXd(m * m.transpose())
                                                 : Eigen::MatrixXd(m.transpose() * m);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(g, Eigen::EigenvaluesOnly);
  if (eig.info() != Eigen::Success) throw std::runtime_error("procrustes: the eigendecomposition did not converge");
  double sum = 0;
  for (Eigen::Index i = 0; i < g.rows(); ++i) sum += std::sqrt(std::max(eig.eigenvalues()(i), 0.0));
  return sum;
}

}  // namespace

ProcrustesResult procrustes_distance(Eigen::MatrixXd x, Eigen::MatrixXd y, double alpha,
                                     const std::string& name_a, const std::string& name_b) {
  if (!(alpha >= 0 && alpha <= 1))
    throw std::invalid_argument("procrustes: alpha must be in [0, 1], got " + std::to_string(alpha));
  require_pair(x, y, "procrustes");
  const Eigen::Index full = x.rows() - 1;
  centre_columns(x);
  centre_columns(y);
  const Side a = whitened_factor(std::move(x), alpha, name_a);
  const Side b = whitened_factor(std::move(y), alpha, name_b);
  const double corr = nuclear_norm(a.f.transpose() * b.f) / (a.f.norm() * b.f.norm());
  ProcrustesResult r;
  r.distance = std::acos(std::clamp(corr, -1.0, 1.0));
  if (alpha < 1 && (a.rank >= full || b.rank >= full)) {
    std::ostringstream note;
    note << (a.rank >= full ? (b.rank >= full ? "A and B span" : "A spans") : "B spans") << " all " << full
         << " centred directions (rank " << a.rank << " and " << b.rank
         << "): whitened (alpha < 1), the distance is set by the ranks, not the data; reduce the features first";
    r.note = note.str();
  }
  return r;
}

std::string procrustes_metric(double alpha) {
  if (alpha == 1.0) return "procrustes";
  std::ostringstream o;
  o << "procrustes_alpha_" << alpha;
  return o.str();
}

}  // namespace ml
