// Bootstrap intervals of an RDM comparison over the conditions (probe images;
// analysis/bootstrap.h). A resample idx of the N conditions gives the RDMs
// A[idx][:, idx] and B[idx][:, idx]; their strict upper triangles are compared
// with compare_vectors, except that pairs i < j with idx_i == idx_j are dropped:
// they pair an image with itself, a zero dissimilarity that is no observation
// (rsatoolbox's bootstrap drops them the same way).
//
// What is left is every original pair (a, b), a < b, counted w_a w_b times (w_a:
// how often image a was drawn), so each measure is computed once per resample on
// the N (N - 1) / 2 original pairs with those multiplicities as weights, never on
// the ~N^2 / 2 resampled values: Pearson and cosine as weighted sums, Spearman and
// rho-a on the average ranks the weights give along each RDM's sorted order (sorted
// once, before the resamples), Kendall tau-a in integers (weighted discordant pairs by
// a merge sort of the drawn pairs; the same integers as on the resampled vectors).
// O(N^2) per resample (Kendall O(N^2 log N)), in parallel over the OpenMP threads,
// each value independent of the thread count.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include <Eigen/Dense>

#include "analysis/bootstrap.h"
#include "analysis/rdm_compare.h"

namespace ml {

// compare_rdms on the resampled RDMs as above (NaN when fewer than 2 pairs remain). Reads the
// strict upper triangles of a and b, as compare_rdms does. Throws std::invalid_argument for
// non-square or different sizes, fewer than 3 conditions, or an index out of range.
double resampled_rdm_comparison(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, RdmComparison method,
                                const std::vector<int64_t>& idx);

// The resample-independent part of comparing a and b (their upper triangles, sorted once), for callers
// that draw the resamples themselves: each call then costs O(N^2), not a sort. Calls may run in parallel.
class PreparedRdmComparison {
 public:
  PreparedRdmComparison(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, RdmComparison method);
  double resampled(const std::vector<int64_t>& idx) const;  // as resampled_rdm_comparison

 private:
  std::shared_ptr<const void> pairs_;  // rdm_bootstrap.cpp's Pairs
  RdmComparison method_;
};

// The percentile interval of resampled_rdm_comparison over `draws` resamples of the N conditions
// (bootstrap_resample(N, b, seed), b = 0 .. draws - 1).
BootstrapInterval bootstrap_rdm_comparison(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, RdmComparison method,
                                           int draws, uint64_t seed, double level = 0.95);

}  // namespace ml
