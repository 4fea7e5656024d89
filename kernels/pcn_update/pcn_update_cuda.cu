// CUDA PCN recurrent update.
//
// Kernels:
//   pcn_blend_forward_kernel, pcn_correct_forward_kernel
//       one element per thread in a grid-stride loop; the channel is (i / HW) % C.
//   pcn_blend_backward_kernel, pcn_correct_backward_kernel
//       one block per channel: its threads stride over the channel's N * HW elements,
//       write the input gradients, and sum the rate gradient (in double) in a fixed
//       order, then a shared-memory tree; no atomics, so the result is repeatable.
//       A grid of C blocks under-fills a large GPU for few channels; these maps are
//       memory-bound and small next to the convolutions around them.
#include "kernels/launch.cuh"
#include "kernels/pcn_update/pcn_update.h"

namespace ml {
namespace {

__device__ float rate_of(const float* raw, int c) { return fmaxf(raw[c], 0.0f); }

__device__ void store(float* dst, size_t i, float v, bool add) { dst[i] = add ? dst[i] + v : v; }

// Sum of one double per thread over the block, in a fixed tree order; thread 0 gets it.
__device__ double block_sum(double v, double* shared) {
  shared[threadIdx.x] = v;
  __syncthreads();
  for (int half = blockDim.x / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) shared[threadIdx.x] += shared[threadIdx.x + half];
    __syncthreads();
  }
  return shared[0];
}

__global__ void pcn_blend_forward_kernel(float* __restrict__ out, const float* __restrict__ p,
                                         const float* __restrict__ r, const float* __restrict__ a_raw, ChannelShape s) {
  const size_t n = static_cast<size_t>(s.N) * s.C * s.HW;
  for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const float a = rate_of(a_raw, static_cast<int>((i / s.HW) % s.C));
    const float v = a * p[i] + (1.0f - a) * r[i];
    out[i] = v > 0.0f ? v : 0.0f;
  }
}

__global__ void pcn_correct_forward_kernel(float* __restrict__ out, const float* __restrict__ r,
                                           const float* __restrict__ f, const float* __restrict__ b_raw,
                                           ChannelShape s) {
  const size_t n = static_cast<size_t>(s.N) * s.C * s.HW;
  for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const float b = rate_of(b_raw, static_cast<int>((i / s.HW) % s.C));
    const float v = r[i] + b * f[i];
    out[i] = v > 0.0f ? v : 0.0f;
  }
}

__global__ void pcn_blend_backward_kernel(float* __restrict__ dp, float* __restrict__ dr, float* __restrict__ da_raw,
                                          const float* __restrict__ dout, const float* __restrict__ out,
                                          const float* __restrict__ p, const float* __restrict__ r,
                                          const float* __restrict__ a_raw, ChannelShape s, bool add_dp, bool add_dr) {
  __shared__ double shared[kThreadsPerBlock];
  const int c = blockIdx.x;
  const float a = rate_of(a_raw, c);
  const size_t per_channel = static_cast<size_t>(s.N) * s.HW;
  double sum = 0;
  for (size_t j = threadIdx.x; j < per_channel; j += blockDim.x) {
    const size_t n = j / s.HW, i = (n * s.C + c) * s.HW + j % s.HW;
    const float g = out[i] > 0.0f ? dout[i] : 0.0f;
    store(dp, i, a * g, add_dp);
    store(dr, i, (1.0f - a) * g, add_dr);
    sum += double(g) * (double(p[i]) - double(r[i]));
  }
  sum = block_sum(sum, shared);
  if (threadIdx.x == 0 && a_raw[c] > 0.0f) da_raw[c] += static_cast<float>(sum);
}

__global__ void pcn_correct_backward_kernel(float* __restrict__ dr, float* __restrict__ df,
                                            float* __restrict__ db_raw, const float* __restrict__ dout,
                                            const float* __restrict__ out, const float* __restrict__ f,
                                            const float* __restrict__ b_raw, ChannelShape s, bool add_dr,
                                            bool add_df) {
  __shared__ double shared[kThreadsPerBlock];
  const int c = blockIdx.x;
  const float b = rate_of(b_raw, c);
  const size_t per_channel = static_cast<size_t>(s.N) * s.HW;
  double sum = 0;
  for (size_t j = threadIdx.x; j < per_channel; j += blockDim.x) {
    const size_t n = j / s.HW, i = (n * s.C + c) * s.HW + j % s.HW;
    const float g = out[i] > 0.0f ? dout[i] : 0.0f;
    store(dr, i, g, add_dr);
    store(df, i, b * g, add_df);
    sum += double(g) * double(f[i]);
  }
  sum = block_sum(sum, shared);
  if (threadIdx.x == 0 && b_raw[c] > 0.0f) db_raw[c] += static_cast<float>(sum);
}

size_t numel(const ChannelShape& s) { return static_cast<size_t>(s.N) * s.C * s.HW; }

}  // namespace

void pcn_blend_forward_cuda(float* out, const float* p, const float* r, const float* a_raw, const ChannelShape& s) {
  if (numel(s) == 0) return;
  launch_kernel(pcn_blend_forward_kernel, {blocks_for(numel(s), kThreadsPerBlock, kMaxBlocks65536), kThreadsPerBlock},
                out, p, r, a_raw, s);
}

void pcn_blend_backward_cuda(float* dp, float* dr, float* da_raw, const float* dout, const float* out, const float* p,
                             const float* r, const float* a_raw, const ChannelShape& s, bool add_dp, bool add_dr) {
  if (numel(s) == 0) return;
  launch_kernel(pcn_blend_backward_kernel, {static_cast<unsigned>(s.C), kThreadsPerBlock}, dp, dr, da_raw, dout, out, p,
                r, a_raw, s, add_dp, add_dr);
}

void pcn_correct_forward_cuda(float* out, const float* r, const float* f, const float* b_raw, const ChannelShape& s) {
  if (numel(s) == 0) return;
  launch_kernel(pcn_correct_forward_kernel, {blocks_for(numel(s), kThreadsPerBlock, kMaxBlocks65536), kThreadsPerBlock},
                out, r, f, b_raw, s);
}

void pcn_correct_backward_cuda(float* dr, float* df, float* db_raw, const float* dout, const float* out,
                               const float* f, const float* b_raw, const ChannelShape& s, bool add_dr, bool add_df) {
  if (numel(s) == 0) return;
  launch_kernel(pcn_correct_backward_kernel, {static_cast<unsigned>(s.C), kThreadsPerBlock}, dr, df, db_raw, dout, out,
                f, b_raw, s, add_dr, add_df);
}

}  // namespace ml
