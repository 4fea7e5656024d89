// Principal components of image patches (the `pca` conv1 bank).
#pragma once
#include <vector>

namespace ml {

struct PatchPca {
  int D = 0;                         // patch dimension C * R * R
  std::vector<double> mean;          // D: the mean patch (subtracted before the covariance)
  std::vector<double> components;    // D x D, row i = unit component i, i by decreasing variance
  std::vector<double> eigenvalues;   // D, decreasing: the variance along each component
};

// PCA of n patches (rows of D values) through the covariance (divided by n,
// accumulated in double) and its eigendecomposition. Each component's sign is
// fixed so that its largest-magnitude entry is positive (deterministic).
// Throws std::invalid_argument for n < 2 or a size mismatch.
PatchPca patch_pca(const std::vector<float>& patches, int n, int D);

// K filters of D values from the components: +c_1..+c_D, -c_1..-c_D, then the
// same again (K > D has no more directions; with ReLU after conv1 the two signs
// keep both halves of each projection). K <= D: the first K components.
std::vector<float> pca_filters(const PatchPca& pca, int K);

}  // namespace ml
