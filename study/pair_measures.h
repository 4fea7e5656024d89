// The measures beyond CKA and RSA that the study computes between two
// recorded layers (LayerView::features of study/layer_measures.h): the angular
// Procrustes distance (Williams et al. 2021), SVCCA (Raghu et al. 2017, 99% of
// the variance), PWCCA (Morcos et al. 2018), the mean canonical correlation and
// mutual k nearest neighbours (Huh et al. 2024, k = 10), each as
// `ml-analyze procrustes|cca|knn` computes it (analysis/), on the layer with
// its constant columns (dead units) left out; PWCCA, weighted by the first
// side (the variant, or the lower seed of two bp runs), weights a layer wider
// than the probe images by its principal components (LayerView::features).
//
// A bootstrap over the probe images would refit every SVD per resample (a
// conv map's pair costs seconds), so their spread is the one over the pairs of
// seeds instead: PairsRange's min and max. Under the hypothesis that a variant
// is a bp seed in disguise, its pairs with bp and bp's own pairs are
// exchangeable, and the chance that every one of a variants' a pairs lies
// beyond every one of the ceiling's c pairs is 1 / C(a + c, c) (1/84 for 3
// seeds each: 6 and 3 pairs; pairs sharing a run are not independent, so this
// is a guide, not a test).
#pragma once
#include <string>
#include <utility>
#include <vector>

#include <Eigen/Dense>

#include "study/layer_measures.h"

namespace ml {

inline const char* const kPairMeasures[] = {"procrustes", "svcca", "pwcca", "cca_mean", "knn"};
inline constexpr int kPairMeasureCount = 5;
inline constexpr int kPairMeasureKnnK = 10;

// True for the procrustes distance (radians; 0 is identical), false for the similarities (1 is identical).
bool pair_measure_is_distance(const std::string& measure);

// Measure m (an index into kPairMeasures) between two layers' features; NaN where it is undefined
// (a layer with no variance, fewer than k + 1 images for knn).
double pair_measure(int m, const Eigen::MatrixXd& a, const Eigen::MatrixXd& b);

// The mean of measure m over the pairs, and its least and largest value (NaN pairs left out; all NaN: NaN).
struct PairsRange {
  double mean = 0, min = 0, max = 0;
  int defined = 0;  // pairs with a value
};
PairsRange range_over_pairs(int m, const std::vector<std::pair<const LayerView*, const LayerView*>>& pairs);

}  // namespace ml
