// CUDA global average pooling.
//
// Kernels:
//   global_avg_pool_forward_kernel   one warp per (n, c) plane: lanes stride over the
//                                    pixels, sum in double, then a fixed shuffle tree.
//   global_avg_pool_backward_kernel  one element of dx per thread, grid-stride loop.
#include "kernels/global_avg_pool/global_avg_pool.h"
#include "kernels/launch.cuh"

namespace ml {
namespace {

constexpr int kWarp = 32;

__global__ void global_avg_pool_forward_kernel(float* __restrict__ y, const float* __restrict__ x, int planes,
                                               int HW) {
  const int warp = static_cast<int>((static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x) / kWarp);
  const int lane = threadIdx.x % kWarp;
  if (warp >= planes) return;  // whole warps leave together: planes are warp-aligned
  const float* plane = x + static_cast<size_t>(warp) * HW;
  double sum = 0;
  for (int i = lane; i < HW; i += kWarp) sum += plane[i];
  for (int offset = kWarp / 2; offset > 0; offset /= 2) sum += __shfl_down_sync(0xffffffffu, sum, offset);
  if (lane == 0) y[warp] = static_cast<float>(sum / HW);
}

__global__ void global_avg_pool_backward_kernel(float* __restrict__ dx, const float* __restrict__ dy, size_t n,
                                                int HW) {
  for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    dx[i] = dy[i / HW] / static_cast<float>(HW);  // a division, as the CPU: bit-equal
  }
}

}  // namespace

void global_avg_pool_forward_cuda(float* y, const float* x, int N, int C, int HW) {
  const size_t planes = static_cast<size_t>(N) * C;
  if (planes == 0) return;
  launch_kernel(global_avg_pool_forward_kernel, {blocks_for(planes * kWarp), kThreadsPerBlock}, y, x,
                static_cast<int>(planes), HW);
}

void global_avg_pool_backward_cuda(float* dx, const float* dy, int N, int C, int HW) {
  const size_t n = static_cast<size_t>(N) * C * HW;
  if (n == 0) return;
  launch_kernel(global_avg_pool_backward_kernel, {blocks_for(n, kThreadsPerBlock, kMaxBlocks65536), kThreadsPerBlock},
                dx, dy, n, HW);
}

}  // namespace ml
