// Per-channel bias. add: one grid-stride elementwise kernel. grad: one block
// per channel, each thread sums a strided share of the channel's N * HW values,
// then a shared-memory tree reduction (fixed order: deterministic run to run).
#include "kernels/channel_bias/channel_bias.h"
#include "kernels/launch.cuh"

namespace ml {
namespace {

__global__ void channel_bias_add_kernel(float* __restrict__ y, const float* __restrict__ b, int C, int HW, size_t n) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    y[i] += b[(i / HW) % C];
  }
}

__global__ void channel_bias_grad_kernel(float* __restrict__ db, const float* __restrict__ dy, int N, int C, int HW) {
  __shared__ float partial[kThreadsPerBlock];
  const int c = blockIdx.x;
  const size_t count = size_t(N) * HW;
  float s = 0.0f;
  for (size_t j = threadIdx.x; j < count; j += blockDim.x) {
    const size_t n = j / HW, k = j % HW;
    s += dy[(n * C + c) * HW + k];
  }
  partial[threadIdx.x] = s;
  __syncthreads();
  for (int stride = kThreadsPerBlock / 2; stride > 0; stride /= 2) {
    if (threadIdx.x < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
    __syncthreads();
  }
  if (threadIdx.x == 0) db[c] = partial[0];
}

}  // namespace

void channel_bias_add_cuda(float* y, const float* b, int N, int C, int HW) {
  const size_t n = size_t(N) * C * HW;
  if (n == 0) return;
  launch_kernel(channel_bias_add_kernel, {blocks_for(n, kThreadsPerBlock, kMaxBlocks65535x16), kThreadsPerBlock}, y, b,
                C, HW, n);
}

void channel_bias_grad_cuda(float* db, const float* dy, int N, int C, int HW) {
  if (C == 0) return;
  launch_kernel(channel_bias_grad_kernel, {static_cast<unsigned>(C), kThreadsPerBlock}, db, dy, N, C, HW);
}

}  // namespace ml
