#pragma once
#include <vector>

#include "engine/int_buffer.h"
#include "engine/tensor.h"

namespace ml {

// One minibatch on the training device, with its labels on both sides
// (the device copy feeds the loss kernels, the host copy the accuracy).
struct Batch {
  Tensor x;                          // [N, C, H, W]
  IntBuffer labels;                  // N, on x's device
  std::vector<int32_t> host_labels;  // N
  int size() const { return x.defined() ? x.dim(0) : 0; }
};

}  // namespace ml
