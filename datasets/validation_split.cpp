#include "datasets/validation_split.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "base/rng.h"

namespace ml {

std::vector<int64_t> validation_indices(const Dataset& d, int n, uint64_t seed) {
  if (n < 0) throw std::invalid_argument("--val " + std::to_string(n) + ": must be >= 0");
  if (n >= d.size()) {
    throw std::invalid_argument("--val " + std::to_string(n) + ": must be smaller than the " + d.name +
                                " training set (" + std::to_string(d.size()) + " images)");
  }
  const int classes = std::max(d.num_classes, 1);
  std::vector<std::vector<int64_t>> by_class(classes);
  for (int i = 0; i < d.size(); ++i) by_class[d.labels[i]].push_back(i);
  std::vector<int64_t> held;
  held.reserve(n);
  Rng root(seed);
  for (int k = 0; k < classes; ++k) {
    const int want = n / classes + (k < n % classes ? 1 : 0);
    std::vector<int64_t>& pool = by_class[k];
    if (want > static_cast<int>(pool.size())) {
      throw std::invalid_argument("--val " + std::to_string(n) + ": class " + std::to_string(k) + " of " + d.name +
                                  " has " + std::to_string(pool.size()) + " training images, the balanced split needs " +
                                  std::to_string(want));
    }
    // A partial Fisher-Yates shuffle per class, each class its own stream: a class's pick does not
    // depend on the sizes of the others.
    Rng rng = root.split(static_cast<uint64_t>(k) + 1);
    for (int i = 0; i < want; ++i) {
      const size_t j = i + rng.next_u64() % (pool.size() - i);
      std::swap(pool[i], pool[j]);
      held.push_back(pool[i]);
    }
  }
  std::sort(held.begin(), held.end());
  return held;
}

Dataset split_off(Dataset& d, const std::vector<int64_t>& sorted_indices) {
  Dataset out;
  out.name = d.name;
  out.C = d.C, out.H = d.H, out.W = d.W;
  out.num_classes = d.num_classes;
  out.class_names = d.class_names;
  const size_t row = static_cast<size_t>(d.C) * d.H * d.W;
  std::vector<float> kept_images;
  std::vector<int32_t> kept_labels;
  kept_images.reserve(d.images.size() - sorted_indices.size() * row);
  kept_labels.reserve(d.labels.size() - sorted_indices.size());
  out.images.reserve(sorted_indices.size() * row);
  out.labels.reserve(sorted_indices.size());
  size_t next = 0;
  for (int i = 0; i < d.size(); ++i) {
    const bool held = next < sorted_indices.size() && sorted_indices[next] == i;
    if (next < sorted_indices.size() && sorted_indices[next] < i)
      throw std::invalid_argument("split_off: indices not sorted and distinct");
    auto& images = held ? out.images : kept_images;
    auto& labels = held ? out.labels : kept_labels;
    images.insert(images.end(), d.images.begin() + i * row, d.images.begin() + (i + 1) * row);
    labels.push_back(d.labels[i]);
    if (held) ++next;
  }
  if (next != sorted_indices.size()) throw std::invalid_argument("split_off: an index is out of range");
  d.images = std::move(kept_images);
  d.labels = std::move(kept_labels);
  return out;
}

}  // namespace ml
