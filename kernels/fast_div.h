// Division by a divisor fixed at launch time as a multiply and a shift
// (Granlund & Montgomery 1994, round-up method): the convolution kernels decode
// im2col indices with several divisions per loaded element, and a GPU has no
// integer divide instruction: dividing by a run-time value costs ~20 instructions.
// Exact for every numerator in [0, 2^31) and divisor in [1, 2^31): with
// l = ceil(log2 d), p = 31 + l and m = ceil(2^p / d) < 2^32, floor(x m / 2^p) = floor(x / d).
// Host and device share the arithmetic, so the CPU test checks what the GPU runs.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

#include "kernels/host_device.h"

namespace ml {

struct FastDiv {
  int divisor = 1;
  uint32_t multiplier = 1u << 31;
  int shift = 31;

  FastDiv() = default;
  explicit FastDiv(int d) : divisor(d) {
    if (d < 1) throw std::invalid_argument("FastDiv: divisor must be positive, got " + std::to_string(d));
    int l = 0;
    while ((1ll << l) < d) ++l;
    shift = 31 + l;
    multiplier = static_cast<uint32_t>(((1ull << shift) + static_cast<uint64_t>(d) - 1) / static_cast<uint64_t>(d));
  }

  // x / divisor for 0 <= x < 2^31.
  ML_HOST_DEVICE int div(int x) const {
    return static_cast<int>((static_cast<uint64_t>(static_cast<uint32_t>(x)) * multiplier) >> shift);
  }
};

}  // namespace ml
