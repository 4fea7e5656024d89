// The batched node-perturbation ops: one grid-stride kernel each, one launch
// per call. The draw (noise_hash.h) is the CPU's, so the two agree to float rounding.
#include "kernels/launch.cuh"
#include "kernels/noise/noise_hash.h"
#include "kernels/perturb/perturb.h"

namespace ml {
namespace {

// no __restrict__ on y and x: y may alias x
__global__ void perturb_copies_kernel(float* y, float* __restrict__ noise, const float* x, float sigma, uint64_t seed,
                                      size_t M, int copies, bool antithetic) {
  const size_t n = size_t(copies) * M;
  for (size_t k = blockIdx.x * size_t(blockDim.x) + threadIdx.x; k < n; k += size_t(gridDim.x) * blockDim.x) {
    const size_t c = k / M, i = k - c * M;
    float v = 0.0f;
    if (c > 0) {
      const uint64_t draw = antithetic ? (c - 1) / 2 : c - 1;
      const float s = antithetic && (c - 1) % 2 == 1 ? -sigma : sigma;
      v = s * normal_at(seed, draw * M + i);
    }
    noise[k] = v;
    y[k] = x[k] + v;
  }
}

__global__ void scale_rows_kernel(float* y, const float* x, const float* __restrict__ coef, size_t rows,
                                  size_t row_size) {
  const size_t n = rows * row_size;
  for (size_t k = blockIdx.x * size_t(blockDim.x) + threadIdx.x; k < n; k += size_t(gridDim.x) * blockDim.x) {
    y[k] = coef[k / row_size] * x[k];
  }
}

}  // namespace

void perturb_copies_cuda(float* y, float* noise, const float* x, float sigma, uint64_t seed, size_t M, int copies,
                         bool antithetic) {
  const size_t n = size_t(copies) * M;
  if (n == 0) return;
  launch_kernel(perturb_copies_kernel, {blocks_for(n, kThreadsPerBlock, kMaxBlocks65535x16), kThreadsPerBlock}, y,
                noise, x, sigma, seed, M, copies, antithetic);
}

void scale_rows_cuda(float* y, const float* x, const float* coef, size_t rows, size_t row_size) {
  const size_t n = rows * row_size;
  if (n == 0) return;
  launch_kernel(scale_rows_kernel, {blocks_for(n, kThreadsPerBlock, kMaxBlocks65535x16), kThreadsPerBlock}, y, x, coef,
                rows, row_size);
}

}  // namespace ml
