// Principal component analysis of N examples (rows) x D features: the
// eigenvalues of the covariance of the column-centred data, taken from the
// smaller of X^T X (D x D) and X X^T (N x N), which share their non-zero
// eigenvalues.
#pragma once
#include <Eigen/Dense>

namespace ml {

struct PcaResult {
  Eigen::VectorXd variances;        // covariance eigenvalues (sum of squares / (N - 1)), descending, >= 0
  Eigen::VectorXd explained_ratio;  // variances / sum(variances); sums to 1
  double participation_ratio = 0;   // (sum lambda)^2 / sum lambda^2
  int components_90 = 0, components_95 = 0, components_99 = 0;  // fewest components reaching that share
  Eigen::MatrixXd projections;      // N x k: the centred data on the first k components (scores);
                                    // each column's sign chosen so its largest |value| is positive
};

// k = number of projected components (clamped to the rank available).
// Throws std::invalid_argument for fewer than 2 rows or all-constant data.
PcaResult pca(const Eigen::MatrixXd& x, int k);

// The participation ratio alone, from the gram G = X X^T of the rows (double):
// the centred data's eigenvalues are those of H G H (H = I - 11^T/N), so
// PR = trace(HGH)^2 / ||HGH||_F^2, no eigensolver needed. NaN for constant data.
double participation_ratio_from_gram(const Eigen::MatrixXd& gram);

}  // namespace ml
