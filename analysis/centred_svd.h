// What the shape metric and the CCA family share: centring, the thin SVD of a
// column-centred N x p matrix, the share of variance its leading directions
// carry, and the checks on a pair of representations of the same N examples.
//
// The thin SVD comes from the eigendecomposition of the smaller gram, the p x p
// X^T X when p <= N, else the N x N X X^T, so a conv map (N = 1000, p = 9216)
// costs one N x N gram and one N x N eigensolve, never a p x p matrix. The
// price: a singular value s carries an absolute error of ~1e-16 s_max^2 / s, so
// directions below ~1e-6 of the largest singular value are noise and are
// dropped (kRankTolerance), as is the direction along the ones vector that
// centring empties.
#pragma once
#include <string>

#include <Eigen/Dense>

namespace ml {

// Directions whose squared singular value is below this share of the largest
// count as zero (rank, whitening, CCA).
inline constexpr double kRankTolerance = 1e-12;

// Subtracts each column's mean, in place (the inputs are large: a 1000 x 9216 map is 74 MB).
void centre_columns(Eigen::MatrixXd& x);

// xc = u diag(s) v^T restricted to the r directions above kRankTolerance:
// u is N x r with orthonormal columns, s descending and > 0. v is not formed.
struct CentredSvd {
  Eigen::MatrixXd u;
  Eigen::VectorXd s;
};
// xc must already be centred; an all-zero xc gives r = 0.
CentredSvd centred_svd(const Eigen::MatrixXd& xc);
// The same from xc xc^T (N x N), when only the gram is at hand: u are its eigenvectors, s^2 its eigenvalues.
CentredSvd centred_svd_from_row_gram(const Eigen::MatrixXd& centred_gram);

// The fewest leading directions whose s^2 reach `share` of sum s^2 (share in
// (0, 1]; a share within 1e-12 of the total counts as reached). At least 1 when
// s is not empty.
Eigen::Index directions_for_share(const Eigen::VectorXd& s, double share);

// Throws std::invalid_argument unless x and y have the same number of rows and
// at least 3 (what: the measure's name, for the message).
void require_pair(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, const std::string& what);

// The first column whose values are all equal, or -1.
Eigen::Index first_constant_column(const Eigen::MatrixXd& x);

}  // namespace ml
