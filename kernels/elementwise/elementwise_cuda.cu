// Elementwise kernels of the learning rules: grid-stride loops, one launch each.
#include "kernels/elementwise/elementwise.h"
#include "kernels/launch.cuh"

namespace ml {
namespace {

// no __restrict__: x may alias y
__global__ void axpby_kernel(float* y, const float* x, float a, float b, size_t n) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    y[i] = a * x[i] + b * y[i];
  }
}

__global__ void sign_feedback_kernel(float* __restrict__ out, const float* __restrict__ w,
                                     const float* __restrict__ magnitude, float scale, size_t n) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    const float s = w[i] > 0.0f ? 1.0f : (w[i] < 0.0f ? -1.0f : 0.0f);
    out[i] = s * (magnitude ? fabsf(magnitude[i]) : scale);
  }
}

}  // namespace

void axpby_cuda(float* y, const float* x, float a, float b, size_t n) {
  if (n == 0) return;
  launch_kernel(axpby_kernel, {blocks_for(n, kThreadsPerBlock, kMaxBlocks65535x16), kThreadsPerBlock}, y, x, a, b, n);
}

void sign_feedback_cuda(float* out, const float* w, const float* magnitude, float scale, size_t n) {
  if (n == 0) return;
  launch_kernel(sign_feedback_kernel, {blocks_for(n, kThreadsPerBlock, kMaxBlocks65535x16), kThreadsPerBlock}, out, w,
                magnitude, scale, n);
}

}  // namespace ml
