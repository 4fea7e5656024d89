// ReLU. Overwrites outputs; y may alias x and dx may alias dy.
#pragma once
#include <cstddef>

namespace ml {

void relu_forward_cpu(float* y, const float* x, size_t n);
void relu_forward_cuda(float* y, const float* x, size_t n);

// dx = dy where the forward output y > 0, else 0.
void relu_backward_cpu(float* dx, const float* dy, const float* y, size_t n);
void relu_backward_cuda(float* dx, const float* dy, const float* y, size_t n);

}  // namespace ml
