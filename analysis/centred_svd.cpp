// Eigen's AVX-512 kernels trip GCC 12's -Wmaybe-uninitialized inside avx512fintrin.h
// (a false positive in system code inlined into ours; see CMakeLists.txt).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "analysis/centred_svd.h"

#include <stdexcept>

#include "analysis/gram.h"

namespace ml {

void centre_columns(Eigen::MatrixXd& x) {
  const Eigen::RowVectorXd mean = x.colwise().mean();
  x.rowwise() -= mean;
}

namespace {

// The leading eigenpairs of a gram above kRankTolerance, descending.
struct GramEigen {
  Eigen::VectorXd s;  // sqrt of the eigenvalues
  Eigen::MatrixXd w;  // their eigenvectors
};
GramEigen gram_eigen(const Eigen::MatrixXd& g) {
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(g);
  if (eig.info() != Eigen::Success) throw std::runtime_error("SVD: the eigendecomposition did not converge");
  const Eigen::Index m = g.rows();
  const Eigen::VectorXd lambda = eig.eigenvalues().reverse();  // Eigen: ascending
  Eigen::Index r = 0;
  while (r < m && lambda(r) > kRankTolerance * lambda(0) && lambda(r) > 0) ++r;
  return {lambda.head(r).cwiseSqrt(), eig.eigenvectors().rowwise().reverse().leftCols(r)};
}

}  // namespace

CentredSvd centred_svd(const Eigen::MatrixXd& xc) {
  const Eigen::Index n = xc.rows(), p = xc.cols();
  if (p > n) return centred_svd_from_row_gram(row_gram_wide(xc));
  // By features, the smaller gram: its non-zero eigenvalues are the s^2 of both; w holds v, and u = xc v / s.
  GramEigen e = gram_eigen(column_gram(xc));
  CentredSvd out;
  out.u = xc * e.w * e.s.cwiseInverse().asDiagonal();
  out.s = std::move(e.s);
  return out;
}

CentredSvd centred_svd_from_row_gram(const Eigen::MatrixXd& centred_gram) {
  GramEigen e = gram_eigen(centred_gram);
  return {std::move(e.w), std::move(e.s)};
}

Eigen::Index directions_for_share(const Eigen::VectorXd& s, double share) {
  const double total = s.squaredNorm();
  double cum = 0;
  for (Eigen::Index i = 0; i < s.size(); ++i) {
    cum += s(i) * s(i);
    if (cum >= (share - 1e-12) * total) return i + 1;
  }
  return s.size();
}

void require_pair(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, const std::string& what) {
  if (x.rows() != y.rows())
    throw std::invalid_argument(what + ": the inputs have " + std::to_string(x.rows()) + " and " +
                                std::to_string(y.rows()) + " rows (the same examples are needed, in the same order)");
  if (x.rows() < 3)
    throw std::invalid_argument(what + " needs at least 3 examples (rows), got " + std::to_string(x.rows()));
}

Eigen::Index first_constant_column(const Eigen::MatrixXd& x) {
  for (Eigen::Index j = 0; j < x.cols(); ++j)
    if ((x.col(j).array() == x(0, j)).all()) return j;
  return -1;
}

}  // namespace ml
