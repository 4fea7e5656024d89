// Sums of squares in double, deterministic: no atomics, a fixed grid, fixed trees.
//
// Kernels:
//   partial_sums_kernel  one launch per array: kSumOfSquaresBlocks blocks, each sums its
//                        grid-stride share per thread, then a shared-memory tree -> one partial.
//   final_sums_kernel    one block per array: the partials of that array, the same tree.
#include "kernels/launch.cuh"
#include "kernels/sum_of_squares/sum_of_squares.h"

namespace ml {
namespace {

// The tree below halves kThreadsPerBlock: a power of two, and the final kernel's block is one
// thread per partial.
static_assert((kThreadsPerBlock & (kThreadsPerBlock - 1)) == 0 && kSumOfSquaresBlocks == kThreadsPerBlock);

__device__ double block_sum(double v) {
  __shared__ double s[kThreadsPerBlock];
  s[threadIdx.x] = v;
  __syncthreads();
  for (int width = kThreadsPerBlock / 2; width > 0; width /= 2) {
    if (threadIdx.x < width) s[threadIdx.x] += s[threadIdx.x + width];
    __syncthreads();
  }
  return s[0];
}

__global__ void partial_sums_kernel(double* __restrict__ partial, const float* __restrict__ x, size_t n) {
  double acc = 0;
  for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const double v = x[i];
    acc += v * v;
  }
  const double total = block_sum(acc);
  if (threadIdx.x == 0) partial[blockIdx.x] = total;
}

__global__ void final_sums_kernel(double* __restrict__ out, const double* __restrict__ partial) {
  const double total = block_sum(partial[static_cast<size_t>(blockIdx.x) * kSumOfSquaresBlocks + threadIdx.x]);
  if (threadIdx.x == 0) out[blockIdx.x] = total;
}

}  // namespace

void sum_of_squares_cuda(double* out, const float* const* x, const size_t* n, int K, double* scratch) {
  if (K <= 0) return;
  for (int k = 0; k < K; ++k) {
    launch_kernel(partial_sums_kernel, {kSumOfSquaresBlocks, kThreadsPerBlock},
                  scratch + static_cast<size_t>(k) * kSumOfSquaresBlocks, x[k], n[k]);
  }
  launch_kernel(final_sums_kernel, {static_cast<unsigned>(K), kThreadsPerBlock}, out, scratch);
}

}  // namespace ml
