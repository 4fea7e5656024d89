// A recorded layer as the study's comparisons read it (the centred N x N Gram
// for CKA, the correlation-distance RDM for RSA), and the three measures
// between two such layers on any resample of the probe images (the identity
// order: all images once).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <Eigen/Dense>

#include "analysis/bootstrap.h"

namespace ml {

struct LayerView {
  Eigen::MatrixXd gram;  // H X X^T H
  Eigen::MatrixXd rdm;   // correlation distance; an image with constant activations is at 1 from every other
  int64_t constant_rows = 0;  // how many images that fallback touched
  // With with_features: the centred features without their constant columns (dead units), or for a layer
  // wider than N - 2 features their principal components U S (xc = U S V^T) padded with zero columns to
  // N - 1, N x (N - 1) at most where a conv map is 1000 x 21,632: Procrustes, the CCAs and kNN see only
  // the column space and the rows' inner products, which U S keeps; PWCCA weights by the first side's
  // columns, here its principal components (as when the SVD step comes before PWCCA).
  Eigen::MatrixXd features;
};

// Reads path (N x features .npy); throws std::runtime_error naming it when it has not n rows.
LayerView layer_view(const std::string& path, int64_t n, bool with_features = false);

// debiased linear CKA (the study's CKA), biased linear CKA, Spearman of the RDMs (NaN without RDMs).
inline const char* const kLayerMeasures[] = {"debiased_cka", "linear_cka", "rdm_spearman"};
inline constexpr int kLayerMeasureCount = 3;

// Measure m (an index into kLayerMeasures) between a and b on the images idx (with repeats: a resample).
double layer_measure(int m, const LayerView& a, const LayerView& b, const std::vector<int64_t>& idx);

// The mean of measure m over the pairs, on all n images and its percentile interval over `draws` resamples
// (bootstrap_resample(n, b, seed): the same images for every pair in a draw).
struct PairsMean {
  double value = 0;
  BootstrapInterval ci;
};
PairsMean mean_over_pairs(int m, const std::vector<std::pair<const LayerView*, const LayerView*>>& pairs, int64_t n,
                          int draws, uint64_t seed);

}  // namespace ml
