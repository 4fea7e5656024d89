// CUDA ReLU.
//
// Kernels:
//   relu_forward_kernel   y = x > 0 ? x : 0, one element per thread in a grid-stride loop.
//   relu_backward_kernel  dx = y > 0 ? dy : 0 (y is the forward output), same shape of launch.
// Memory-bound elementwise maps: 256 threads per block, at most 65536 blocks, each thread
// strides by the whole grid. No __restrict__: the header allows y == x and dx == dy, and each
// element is read before it is written by the same thread.
#include "kernels/launch.cuh"
#include "kernels/relu/relu.h"

namespace ml {
namespace {

__global__ void relu_forward_kernel(float* y, const float* x, size_t n) {
  for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const float v = x[i];
    y[i] = v > 0.0f ? v : 0.0f;  // NaN -> 0, like the CPU reference
  }
}

__global__ void relu_backward_kernel(float* dx, const float* dy, const float* y, size_t n) {
  for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
  }
}

}  // namespace

void relu_forward_cuda(float* y, const float* x, size_t n) {
  if (n == 0) return;
  launch_kernel(relu_forward_kernel, {blocks_for(n, kThreadsPerBlock, kMaxBlocks65536), kThreadsPerBlock}, y, x, n);
}

void relu_backward_cuda(float* dx, const float* dy, const float* y, size_t n) {
  if (n == 0) return;
  launch_kernel(relu_backward_kernel, {blocks_for(n, kThreadsPerBlock, kMaxBlocks65536), kThreadsPerBlock}, dx, dy, y,
                n);
}

}  // namespace ml
