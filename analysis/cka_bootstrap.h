// Bootstrap intervals of CKA over the probe images (analysis/bootstrap.h). A
// resample idx (N indices drawn with replacement) is read as weights, w_a = how
// often image a was drawn, and every sum is taken over the original N x N grams
// with those weights, never over an indexed N x N copy:
//   biased   gram_cka on A = K[idx][:, idx], B = L[idx][:, idx] (the plug-in HSIC,
//            tr(HAHB) = tr(AB) - 2/n 1'AB1 + 1'A1 1'B1 / n^2 with tr(AB) =
//            sum_ab w_a w_b K_ab L_ab and (A1)_i = (Kw)_idx_i).
//   debiased Song's unbiased HSIC as the U-statistic it is (the mean of a kernel over
//            4-tuples of distinct examples), over the 4-tuples of distinct *images*: an
//            image drawn twice is not paired with itself, as a zero-distance self-pair
//            is dropped from a resampled RDM (analysis/rdm_bootstrap.h). Song's closed
//            form on A itself would put the duplicates' K_aa off the diagonal and pull
//            the interval far above the estimate. Equal to
//            hsic_unbiased when every image is drawn once.
// One pass over the lower triangles of K and L per resample (columns of undrawn
// images skipped): O(N^2) time, O(N) memory; the resamples run in parallel over the
// OpenMP threads, each value independent of the thread count.
//
// Both forms give the same CKA for K and for K + 1a' + a1' (so for X X' and its
// centred H X X' H); centred grams avoid the cancellation a large mean would cause,
// and bootstrap_linear_cka centres the features.
#pragma once
#include <cstdint>
#include <vector>

#include <Eigen/Dense>

#include "analysis/bootstrap.h"

namespace ml {

// CKA of one resample, as above (symmetric N x N grams; only their lower triangles are read).
// Debiased needs N >= 4 (NaN for a resample of fewer than 4 distinct images). Throws std::invalid_argument
// for grams of different or non-square shapes or an index out of range.
double resampled_gram_cka(const Eigen::MatrixXd& gram_x, const Eigen::MatrixXd& gram_y,
                          const std::vector<int64_t>& idx, bool debiased);

// The percentile interval of resampled_gram_cka over `draws` resamples of the N images
// (bootstrap_resample(N, b, seed), b = 0 .. draws - 1). Kernel-agnostic: any two grams
// of the same images (linear, or an RBF gram with its bandwidth fixed from all N).
BootstrapInterval bootstrap_gram_cka(const Eigen::MatrixXd& gram_x, const Eigen::MatrixXd& gram_y, bool debiased,
                                     int draws, uint64_t seed, double level = 0.95);

// Linear CKA's interval from features (N x dx, N x dy): the centred grams X X', Y Y'
// (analysis/gram.h row_gram, `mixed` as there), then bootstrap_gram_cka.
BootstrapInterval bootstrap_linear_cka(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, bool debiased, int draws,
                                       uint64_t seed, bool mixed = false, double level = 0.95);

}  // namespace ml
