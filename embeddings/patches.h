// Random image patches from a data set: the input of the data-driven conv1
// banks (PCA, NMF, Hebbian) and of ml-nmf.
#pragma once
#include <cstdint>
#include <vector>

#include "datasets/dataset.h"

namespace ml {

// n patches of size R x R (all C channels), each from an image and a position
// drawn uniformly (the patch lies wholly inside the image), deterministic from
// seed. Returned row-major n x (C * R * R), each row in a conv filter's
// [C, R, R] layout. R == d.H == d.W gives whole images (drawn with replacement).
// Throws std::invalid_argument when the data set is empty or R does not fit.
std::vector<float> sample_patches(const Dataset& d, int R, int n, uint64_t seed);

// The first n images whole (n <= 0 or more than there are: all), row-major
// n x (C * H * W).
std::vector<float> whole_images(const Dataset& d, int n);

}  // namespace ml
