// Canonical correlation analysis between two representations of the same N
// examples (rows), columns centred first, and the three similarities built on it:
//
//   mean:  the mean canonical correlation, (1/m) sum rho_i, m = min(dims of A, B).
//   svcca: Raghu, Gilmer, Yosinski & Sohl-Dickstein 2017: each side first reduced to
//          its top singular directions explaining `keep` of the variance (U_k S_k),
//          then the mean canonical correlation.
//   pwcca: Morcos, Raghu & Bengio 2018, projection weighted: with A's canonical
//          variates h_i (unit norm, in A's column space) and A's centred columns x_j,
//          alpha_i = sum_j |<h_i, x_j>|, value = sum alpha_i rho_i / sum alpha_i.
//          Asymmetric: the weights are A's (google/svcca's pwcca.py weights by the
//          side with fewer neurons; pass that one as A to match it).
//
// The canonical correlations are the singular values of Q_A^T Q_B for orthonormal
// bases of the two centred column spaces (Bjorck & Golub 1973): Householder QR with
// column pivoting for a side taken whole (|R_ii| below 1e-6 of the largest count as
// zero: sqrt of kRankTolerance), the leading left singular vectors for a reduced one
// (analysis/centred_svd.h). Unchanged by any invertible linear map of
// either side (mean; pwcca for B's side only, and for scalings, permutations and
// sign flips of A's columns); svcca by orthogonal maps and isotropic scaling (the
// reduction picks directions by variance).
//
// Centred rows span at most N - 1 directions, so a side with p >= N - 1 features
// (a conv map on 1000 images) would fill the space and every correlation would be
// 1: mean and pwcca then reduce that side as svcca does (keep) and say so in the
// note. When the two sides' dimensions add up to more than N - 1 their spans must
// meet, and that many correlations are 1 by construction: the note says so too.
#pragma once
#include <string>

#include <Eigen/Dense>

namespace ml {

enum class CcaMethod { mean, svcca, pwcca };
CcaMethod parse_cca_method(const std::string& name);  // "mean", "svcca" or "pwcca"
std::string cca_metric(CcaMethod m);                  // "cca_mean", "svcca", "pwcca"

struct CcaResult {
  double value = 0;
  Eigen::VectorXd rho;                 // canonical correlations, descending, in [0, 1]
  Eigen::Index dims_a = 0, dims_b = 0;  // the dimensions CCA saw on each side
  std::string note;                    // empty, or the reductions applied and what they imply
};

// keep in (0, 1]. Throws std::invalid_argument for different row counts, fewer than 3
// rows, keep outside (0, 1], a side with no variance, and (mean, pwcca, a side taken
// whole) a constant column, named "<name> column j" (svcca and the reduction drop
// constant columns: they carry no variance).
// a and b are taken by value and centred in place (move them in to save the copies).
CcaResult cca_similarity(Eigen::MatrixXd a, Eigen::MatrixXd b, CcaMethod method, double keep = 0.99,
                         const std::string& name_a = "A", const std::string& name_b = "B");

// One side prepared once for many pairs (the study compares each network's layer with several others):
// its centred columns and the orthonormal basis `method` uses, computed as cca_similarity does.
struct CcaSide {
  CcaMethod method = CcaMethod::mean;
  Eigen::MatrixXd centred;        // the columns centred (pwcca weights by them)
  Eigen::MatrixXd q;              // N x r, orthonormal: the basis CCA works in
  bool forced_reduction = false;  // mean, pwcca: reduced because the side spans every centred direction
  std::string note;               // what was done to it, without the side's label; empty: taken whole
};
// Throws as cca_similarity for this one side (fewer than 3 rows, keep, no variance, a constant column).
CcaSide cca_side(Eigen::MatrixXd x, CcaMethod method, double keep = 0.99, const std::string& name = "A");
// cca_similarity on two prepared sides (a plays A): the same numbers and note. Throws std::invalid_argument
// for sides of different methods or row counts.
CcaResult cca_similarity(const CcaSide& a, const CcaSide& b);

// The canonical correlations of the column spaces of qa and qb, N x r matrices with
// orthonormal columns: the singular values of qa^T qb, descending, min(r_a, r_b) of them.
Eigen::VectorXd canonical_correlations(const Eigen::MatrixXd& qa, const Eigen::MatrixXd& qb);

}  // namespace ml
