#include "embeddings/patches.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "base/rng.h"

namespace ml {

std::vector<float> sample_patches(const Dataset& d, int R, int n, uint64_t seed) {
  if (d.size() == 0) throw std::invalid_argument("patches: the data set '" + d.name + "' is empty");
  if (R < 1 || R > d.H || R > d.W) {
    throw std::invalid_argument("patches: a " + std::to_string(R) + "x" + std::to_string(R) + " patch does not fit " +
                                std::to_string(d.H) + "x" + std::to_string(d.W) + " images");
  }
  if (n < 1) throw std::invalid_argument("patches: asked for " + std::to_string(n) + " patches; need >= 1");
  Rng rng = Rng(seed).split(0x9a7c4e5);
  const size_t D = static_cast<size_t>(d.C) * R * R, image_size = static_cast<size_t>(d.C) * d.H * d.W;
  std::vector<float> out(D * n);
  for (int p = 0; p < n; ++p) {
    const size_t image = rng.next_u64() % d.size();
    const int top = static_cast<int>(rng.next_u64() % (d.H - R + 1));
    const int left = static_cast<int>(rng.next_u64() % (d.W - R + 1));
    const float* src = d.images.data() + image * image_size;
    float* dst = out.data() + p * D;
    for (int c = 0; c < d.C; ++c) {
      for (int i = 0; i < R; ++i) {
        const float* row = src + (static_cast<size_t>(c) * d.H + top + i) * d.W + left;
        std::copy(row, row + R, dst + (static_cast<size_t>(c) * R + i) * R);
      }
    }
  }
  return out;
}

std::vector<float> whole_images(const Dataset& d, int n) {
  if (d.size() == 0) throw std::invalid_argument("images: the data set '" + d.name + "' is empty");
  const size_t count = n <= 0 ? d.size() : std::min(n, d.size());
  const size_t image_size = static_cast<size_t>(d.C) * d.H * d.W;
  return std::vector<float>(d.images.begin(), d.images.begin() + count * image_size);
}

}  // namespace ml
