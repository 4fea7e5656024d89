// CUDA convolution (NCHW, weights [K,C,R,S]) as three implicit GEMMs on one tiled kernel.
//
// Kernels:
//   gemm_tile_kernel      The register-blocked tile GEMM of kernels/gemm_tile.cuh, shared with linear
//                         (256 threads, 64x64 or 32x128 block tile, 4x4 accumulators per thread,
//                         K steps of 16 through padded shared memory), with the operand loaders of
//                         conv2d_gemm_operands.h: they compute the im2col / col2im element on the fly,
//                         so no column buffer is ever written. Forward fuses the bias into its
//                         epilogue; backward_input with stride 1 runs as a forward convolution of dy
//                         with the flipped weights, other strides gather dy.
//   splitk_reduce_kernel  Long reductions over few tiles (backward_weight always) are split over
//                         gridDim.z into per-split partial tiles, summed here in fixed order.
//   bias_grad_kernel      db[k] = sum over n,p,q of dy: one block per channel, fixed-order loop
//                         then a fixed shared-memory tree.
// FastDiv in the loaders and epilogues (H200, LeNet conv2 at batch 64: backward-input 0.28 -> 0.17 ms,
// backward-weight 0.20 -> 0.13 ms; benchmarks/RESULTS.md). Larger tiles (8x8 accumulators per thread)
// were tried and were slower on these shapes.
// Nothing uses atomics: every result is bit-for-bit repeatable on one device.
// The split-K workspace is grown on first use and kept (no allocation in the batch loop);
// it assumes one caller at a time on the default stream, like the CPU path's scratch.
#include <algorithm>
#include <climits>
#include <stdexcept>
#include <string>

#include "kernels/conv2d/conv2d.h"
#include "kernels/conv2d/conv2d_gemm_operands.h"
#include "kernels/gemm_tile.cuh"
#include "kernels/launch.cuh"

namespace ml {
namespace {

// db[k] = sum over n, pq of dy[n][k][pq]; one block of 256 threads per channel.
constexpr int kBiasThreads = 256;
__global__ void __launch_bounds__(kBiasThreads)
    bias_grad_kernel(float* __restrict__ db, const float* __restrict__ dy, int N, int K, int PQ) {
  __shared__ float part[kBiasThreads];
  const int k = blockIdx.x, tid = threadIdx.x;
  float sum = 0.0f;
  for (int n = 0; n < N; ++n) {
    const float* plane = dy + (static_cast<size_t>(n) * K + k) * PQ;
    for (int i = tid; i < PQ; i += kBiasThreads) sum += plane[i];
  }
  part[tid] = sum;
  __syncthreads();
  for (int half = kBiasThreads / 2; half > 0; half /= 2) {  // fixed tree: deterministic
    if (tid < half) part[tid] += part[tid + half];
    __syncthreads();
  }
  if (tid == 0) db[k] = part[0];
}

void check_shape(const Conv2dShape& s, const char* who) {
  const bool ok = s.N >= 0 && s.C > 0 && s.H > 0 && s.W > 0 && s.K > 0 && s.R > 0 && s.S > 0 && s.stride > 0 &&
                  s.pad >= 0 && s.H + 2 * s.pad >= s.R && s.W + 2 * s.pad >= s.S;
  // every index below is an int: the largest GEMM dimension must fit
  const long long big = std::max({static_cast<long long>(s.N) * s.P() * s.Q(), static_cast<long long>(s.N) * s.H * s.W,
                                  static_cast<long long>(s.C) * s.R * s.S, static_cast<long long>(s.K) * s.R * s.S});
  if (!ok || big > INT_MAX) {
    throw std::invalid_argument(std::string(who) + ": bad shape N=" + std::to_string(s.N) + " C=" + std::to_string(s.C) +
                                " H=" + std::to_string(s.H) + " W=" + std::to_string(s.W) + " K=" + std::to_string(s.K) +
                                " R=" + std::to_string(s.R) + " S=" + std::to_string(s.S) +
                                " stride=" + std::to_string(s.stride) + " pad=" + std::to_string(s.pad));
  }
}

template <Fast FA, Fast FB, class G>
void launch(const G& g) {
  launch_gemm<FA, FB>(g.M, g.N, g.K, g.a, g.b, g.store);
}

}  // namespace

void conv2d_forward_cuda(float* y, const float* x, const float* w, const float* b, const Conv2dShape& s) {
  check_shape(s, "conv2d_forward_cuda");
  launch<Fast::K, Fast::MN>(conv_gemm::forward(y, x, w, b, s));
}

void conv2d_backward_input_cuda(float* dx, const float* dy, const float* w, const Conv2dShape& s) {
  check_shape(s, "conv2d_backward_input_cuda");
  if (conv_gemm::backward_input_is_flipped_forward(s)) {
    launch<Fast::K, Fast::MN>(conv_gemm::backward_input_flipped(dx, dy, w, s));
  } else {
    launch<Fast::K, Fast::MN>(conv_gemm::backward_input_gather(dx, dy, w, s));
  }
}

void conv2d_backward_weight_cuda(float* dw, float* db, const float* dy, const float* x, const Conv2dShape& s) {
  check_shape(s, "conv2d_backward_weight_cuda");
  launch<Fast::K, Fast::K>(conv_gemm::backward_weight(dw, dy, x, s));
  if (!db) return;
  launch_kernel(bias_grad_kernel, {static_cast<unsigned>(s.K), kBiasThreads}, db, dy, s.N, s.K, s.P() * s.Q());
}

}  // namespace ml
