// How people's and a model's probability vectors arrange the images, compared
// as RDMs (correlation distance: 1 - Pearson r of two images' class-probability
// vectors), and how well people agree with themselves on it.
//   human_rdm_spearman  Spearman correlation of the model's RDM and the people's
//                       RDM over the same images (upper triangles).
//   split-half ceiling  each image's n_i responses split at random into two halves
//                       of the people (a random permutation of the responses,
//                       the first floor(n_i / 2) to half A, the rest to B); each
//                       half's probability vectors give an RDM; the two RDMs'
//                       Spearman r, Spearman-Brown corrected to the full number of
//                       people: 2r / (1 + r). A model cannot be expected to match
//                       people's RDM better than people's own halves match.
// A row whose entries are all equal (a uniform distribution) has no correlation
// distance to anything, and an RDM whose dissimilarities are all equal no
// Spearman r; these measures are then NaN rather than an error, so that a
// uniform "model" still gets its other measures.
#pragma once
#include <cstdint>
#include <utility>

#include <Eigen/Dense>

namespace ml {

// Rows of counts divided by their sums (rows must have a positive sum).
Eigen::MatrixXd probabilities_from_counts(const Eigen::MatrixXd& counts);

// Whether some row of x has all its entries equal (its correlation distances are undefined).
bool has_constant_row(const Eigen::MatrixXd& x);

// The correlation RDM of x's rows (analysis/rdm.h, in double).
Eigen::MatrixXd probability_rdm(const Eigen::MatrixXd& x);

// Whether every off-diagonal dissimilarity of rdm is the same (Spearman's r with it is undefined).
bool constant_rdm(const Eigen::MatrixXd& rdm);

// Spearman correlation of the two RDMs of model's and human's rows (N x C each,
// N >= 3 so that there are 3 pairs); NaN when either has a constant row or a constant RDM.
double human_rdm_spearman(const Eigen::MatrixXd& model, const Eigen::MatrixXd& human);

// Halves A and B of each row's people (see above): integer counts, row sums
// floor(n_i / 2) and n_i - floor(n_i / 2). Row i's split uses its own stream of
// seed, so it does not depend on the other rows. Rows need n_i >= 2.
std::pair<Eigen::MatrixXd, Eigen::MatrixXd> split_half_counts(const Eigen::MatrixXd& counts, uint64_t seed);

// 2r / (1 + r).
double spearman_brown(double r);

// The split-half ceiling from the two halves' counts (N x C each, rows with a
// positive sum): Spearman-Brown of the Spearman r of their RDMs.
double split_half_ceiling(const Eigen::MatrixXd& half_a, const Eigen::MatrixXd& half_b);

}  // namespace ml
