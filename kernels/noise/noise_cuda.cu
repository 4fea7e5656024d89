// Gaussian perturbation: one grid-stride kernel, one launch per call. The draw
// (noise_hash.h) is the CPU's, in double, so the two agree to float rounding.
#include "kernels/launch.cuh"
#include "kernels/noise/noise.h"
#include "kernels/noise/noise_hash.h"

namespace ml {
namespace {

// no __restrict__: y may alias x
__global__ void add_normal_noise_kernel(float* y, const float* x, float sigma, uint64_t seed, size_t n) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    y[i] = (x ? x[i] : 0.0f) + sigma * normal_at(seed, i);
  }
}

}  // namespace

void add_normal_noise_cuda(float* y, const float* x, float sigma, uint64_t seed, size_t n) {
  if (n == 0) return;
  launch_kernel(add_normal_noise_kernel, {blocks_for(n, kThreadsPerBlock, kMaxBlocks65535x16), kThreadsPerBlock}, y, x,
                sigma, seed, n);
}

}  // namespace ml
