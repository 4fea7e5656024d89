// Gaussian perturbation: one grid-stride kernel, one launch per call. The draw
// (noise_hash.h) is the CPU's, in double, so the two agree to float rounding.
#include "base/cuda_check.h"
#include "kernels/noise/noise.h"
#include "kernels/noise/noise_hash.h"

namespace ml {
namespace {

constexpr int kThreads = 256;

// no __restrict__: y may alias x
__global__ void add_normal_noise_kernel(float* y, const float* x, float sigma, uint64_t seed, size_t n) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    y[i] = (x ? x[i] : 0.0f) + sigma * normal_at(seed, i);
  }
}

}  // namespace

void add_normal_noise_cuda(float* y, const float* x, float sigma, uint64_t seed, size_t n) {
  if (n == 0) return;
  const size_t b = (n + kThreads - 1) / kThreads;
  const unsigned blocks = static_cast<unsigned>(b < 65535 * 16 ? b : 65535 * 16);
  add_normal_noise_kernel<<<blocks, kThreads>>>(y, x, sigma, seed, n);
  CUDA_CHECK_LAUNCH();
}

}  // namespace ml
