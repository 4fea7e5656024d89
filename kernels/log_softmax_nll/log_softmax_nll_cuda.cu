// CUDA log-softmax + negative log-likelihood.
//
// Kernels:
//   log_softmax_nll_forward_kernel   one warp per row (8 rows per 256-thread block): lanes stride
//                                    over the classes, the max (fmaxf, order-free) and the sum of
//                                    exp in double (as the CPU reference) are combined by a fixed
//                                    xor-shuffle tree, so the result is deterministic; C is small
//                                    (10) in the target use, so a warp per row keeps lanes busy
//                                    without a block-wide reduction.
//   log_softmax_nll_backward_kernel  elementwise: dlogits = scale * (exp(logp) - onehot).
// A label outside [0, C) cannot throw from the device: its loss is written as NaN, which the
// trainer's divergence check reports, instead of reading out of bounds.
#include <cmath>

#include "kernels/launch.cuh"
#include "kernels/log_softmax_nll/log_softmax_nll.h"

namespace ml {
namespace {

constexpr int kRowsPerBlock = kThreadsPerBlock / 32;

__global__ void log_softmax_nll_forward_kernel(float* __restrict__ logp, float* __restrict__ loss,
                                               const float* __restrict__ logits, const int32_t* __restrict__ labels,
                                               int N, int C) {
  const int row = blockIdx.x * kRowsPerBlock + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= N) return;  // whole warps leave together: the shuffles below see full warps
  const float* z = logits + static_cast<size_t>(row) * C;
  float* out = logp + static_cast<size_t>(row) * C;

  float max_z = z[0];  // as the CPU: fmax over all classes starting from z[0] (NaN-ignoring)
  for (int c = lane; c < C; c += 32) max_z = fmaxf(max_z, z[c]);
  for (int offset = 16; offset > 0; offset /= 2) max_z = fmaxf(max_z, __shfl_xor_sync(0xffffffffu, max_z, offset));

  double sum = 0.0;
  for (int c = lane; c < C; c += 32) sum += exp(static_cast<double>(z[c]) - max_z);
  for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, offset);
  const float log_sum = static_cast<float>(log(sum)) + max_z;

  for (int c = lane; c < C; c += 32) out[c] = z[c] - log_sum;
  if (lane == 0) {
    const int label = labels[row];
    loss[row] = (label >= 0 && label < C) ? -(z[label] - log_sum) : NAN;
  }
}

__global__ void log_softmax_nll_backward_kernel(float* __restrict__ dlogits, const float* __restrict__ logp,
                                                const int32_t* __restrict__ labels, int N, int C, float scale) {
  const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= static_cast<size_t>(N) * C) return;
  const int n = static_cast<int>(i / C), c = static_cast<int>(i % C);
  dlogits[i] = scale * (expf(logp[i]) - (c == labels[n] ? 1.0f : 0.0f));
}

}  // namespace

void log_softmax_nll_forward_cuda(float* logp, float* loss, const float* logits, const int32_t* labels, int N, int C) {
  if (N <= 0 || C <= 0) return;
  launch_kernel(log_softmax_nll_forward_kernel, {blocks_for(N, kRowsPerBlock), kThreadsPerBlock}, logp, loss, logits,
                labels, N, C);
}

void log_softmax_nll_backward_cuda(float* dlogits, const float* logp, const int32_t* labels, int N, int C,
                                   float scale) {
  if (N <= 0 || C <= 0) return;
  const size_t total = static_cast<size_t>(N) * C;
  launch_kernel(log_softmax_nll_backward_kernel, {blocks_for(total), kThreadsPerBlock}, dlogits, logp, labels, N, C,
                scale);
}

}  // namespace ml
