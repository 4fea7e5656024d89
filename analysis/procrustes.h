// The generalized shape metric of Williams, Kunz, Kornblith & Linderman 2021
// ("Generalized shape metrics on neural representations", NeurIPS): the angle
// between two representations of the same N examples (rows) after the best
// orthogonal alignment of their features, columns centred first.
//
//   alpha = 1: the angular Procrustes distance
//              arccos(||X^T Y||_* / (||X||_F ||Y||_F)), in radians,
//              the narrower matrix zero-padded (padding changes none of the norms);
//              unchanged by orthogonal maps and isotropic scaling of either side.
//   alpha < 1: each side partially whitened first, as netrep's LinearMetric does:
//              X -> X Z, Z = alpha I + (1 - alpha) (X^T X)^{-1/2}, the eigenvalues
//              of X^T X floored at kWhitenFloor times the largest (netrep floors
//              at an absolute 1e-7; relative, the floor has no units). alpha = 0
//              is full whitening, CCA-like: unchanged by any invertible linear map
//              whose whitened directions stay above the floor. In between, the
//              value depends on the scale of the data (alpha I carries X's units,
//              (X^T X)^{-1/2} their inverse), as netrep's does.
//
// Computed through each side's thin SVD X = U S V^T (analysis/centred_svd.h):
// X Z = U f(S) V^T with f(s) = alpha s + (1 - alpha) s / sqrt(max(s^2, floor)),
// and V's orthonormal columns drop out of both norms, so the nuclear norm is that
// of the r_x x r_y matrix f(S_x) U_x^T U_y f(S_y) (for alpha = 1 and p, q <= N,
// of X^T Y itself): no p x p matrix for wide layers. A scalar rescaling of Z
// (netrep's preserve_variance) does not change the angle.
#pragma once
#include <string>

#include <Eigen/Dense>

namespace ml {

// The floor on the eigenvalues of X^T X in the whitening, relative to the largest.
inline constexpr double kWhitenFloor = 1e-10;

struct ProcrustesResult {
  double distance = 0;  // radians, in [0, pi/2] (centred data, best alignment)
  std::string note;     // empty, or why the value says little (see procrustes_distance)
};

// Throws std::invalid_argument for alpha outside [0, 1], different row counts,
// fewer than 3 rows, or a side with no variance (every column constant); a
// constant column is allowed (it centres to zero and adds nothing). For alpha < 1
// the note says when a side spans every one of the N - 1 centred directions:
// the whitened distance is then fixed by the ranks, not by the data. name_a and
// name_b stand for the inputs in error messages.
// x and y are taken by value and centred in place (move them in to save the copies).
ProcrustesResult procrustes_distance(Eigen::MatrixXd x, Eigen::MatrixXd y, double alpha = 1.0,
                                     const std::string& name_a = "A", const std::string& name_b = "B");

// The metric's name in the CSV: "procrustes" (alpha = 1), "procrustes_alpha_0.5".
std::string procrustes_metric(double alpha);

}  // namespace ml
