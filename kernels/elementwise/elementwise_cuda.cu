// Elementwise kernels of the learning rules: grid-stride loops, one launch each.
#include "base/cuda_check.h"
#include "kernels/elementwise/elementwise.h"

namespace ml {
namespace {

constexpr int kThreads = 256;

unsigned blocks_for(size_t n) {
  const size_t b = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(b < 65535 * 16 ? (b ? b : 1) : 65535 * 16);
}

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
  axpby_kernel<<<blocks_for(n), kThreads>>>(y, x, a, b, n);
  CUDA_CHECK_LAUNCH();
}

void sign_feedback_cuda(float* out, const float* w, const float* magnitude, float scale, size_t n) {
  if (n == 0) return;
  sign_feedback_kernel<<<blocks_for(n), kThreads>>>(out, w, magnitude, scale, n);
  CUDA_CHECK_LAUNCH();
}

}  // namespace ml
