// Max pooling, NCHW, no padding, floor mode (PyTorch's default).
// Overwrites outputs.
#pragma once
#include <cstdint>

namespace ml {

struct Pool2dShape {
  int N = 1, C = 1, H = 1, W = 1;
  int kernel = 2, stride = 2;
  int P() const { return (H - kernel) / stride + 1; }
  int Q() const { return (W - kernel) / stride + 1; }
};

// y[N,C,P,Q] = window max; argmax[N,C,P,Q] = index h*W+w of the max within its
// (n,c) plane (first maximum on ties, like PyTorch).
void maxpool2d_forward_cpu(float* y, int32_t* argmax, const float* x, const Pool2dShape& s);
void maxpool2d_forward_cuda(float* y, int32_t* argmax, const float* x, const Pool2dShape& s);

// dx[N,C,H,W] = sum of dy routed to the argmax positions (zero elsewhere).
void maxpool2d_backward_cpu(float* dx, const float* dy, const int32_t* argmax, const Pool2dShape& s);
void maxpool2d_backward_cuda(float* dx, const float* dy, const int32_t* argmax, const Pool2dShape& s);

}  // namespace ml
