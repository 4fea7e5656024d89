// The validation split (ml-train --val N): N training images held out,
// class-balanced, chosen by their own seed (--val-seed) and never by the
// training seed, so that every rule and every seed of a study holds out the
// same images. Learning rates, schedules and epochs are chosen on it; the test
// set is never used to choose anything.
#pragma once
#include <cstdint>
#include <vector>

#include "datasets/dataset.h"

namespace ml {

// The default --val-seed: fixed, and unrelated to any --seed.
inline constexpr uint64_t kDefaultValSeed = 20261207;

// n indices into d (sorted ascending): n / K images of each of the K classes, the
// first n % K classes one more; within a class a seeded shuffle picks which.
// Throws std::invalid_argument naming --val when n is negative, not below
// d.size(), or asks a class for more images than it has.
std::vector<int64_t> validation_indices(const Dataset& d, int n, uint64_t seed);

// Moves the images at `sorted_indices` out of d into the returned set; d keeps
// the others in their order. The indices must be sorted, distinct and in range.
Dataset split_off(Dataset& d, const std::vector<int64_t>& sorted_indices);

}  // namespace ml
