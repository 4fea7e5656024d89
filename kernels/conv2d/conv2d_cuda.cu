// CUDA convolution (NCHW, weights [K,C,R,S]) as three implicit GEMMs on one tiled kernel.
//
// Kernels:
//   gemm_tile_kernel      The register-blocked tile GEMM of kernels/gemm_tile.cuh, shared with linear
//                         (256 threads, 64x64 or 32x128 block tile, 4x4 accumulators per thread,
//                         K steps of 16 through padded shared memory), but its operand loaders
//                         compute the im2col / col2im element on the fly, so no column buffer is
//                         ever written:
//     forward             M = K output channels, N = N*P*Q output pixels, reduction C*R*S:
//                         A = w (rows contiguous), B = im2col(x) with stride and zero padding; the
//                         output pixel (n,p,q) of a thread is decoded once, the tap (c,r,s) per k.
//                         Bias fused into the epilogue.
//     backward_input      M = C input channels, N = N*H*W input pixels, reduction K*R*S:
//                         A = w^T, B = dy gathered at p = (h+pad-r)/stride (kept only when it
//                         divides exactly and lands inside P x Q): the transposed convolution.
//     backward_weight     M = K, N = C*R*S, reduction N*P*Q (36864 at LeNet's batch 64 for only
//                         64x288 outputs): A = dy, B = im2col(x)^T, both loaded along the
//                         reduction (contiguous q) so loads coalesce.
//   splitk_reduce_kernel  Long reductions over few tiles (backward_weight always) are split over
//                         gridDim.z into per-split partial tiles, summed here in fixed order.
//   bias_grad_kernel      db[k] = sum over n,p,q of dy: one block per channel, fixed-order loop
//                         then a fixed shared-memory tree.
// Every division by a shape size in the loaders and epilogues is a FastDiv (multiply and shift):
// the loaders decode an im2col index per loaded element, and plain integer divisions made them, not
// the FMAs, the cost (H200, LeNet conv2 at batch 64: backward-input 0.28 -> 0.17 ms, backward-weight
// 0.20 -> 0.13 ms; benchmarks/RESULTS.md). Larger tiles (8x8 accumulators per thread) were tried and
// were slower on these shapes.
// Nothing uses atomics: every result is bit-for-bit repeatable on one device.
// The split-K workspace is grown on first use and kept (no allocation in the batch loop);
// it assumes one caller at a time on the default stream, like the CPU path's scratch.
#include <algorithm>
#include <climits>
#include <stdexcept>
#include <string>

#include "engine/cuda_check.h"
#include "kernels/conv2d/conv2d.h"
#include "kernels/fast_div.h"
#include "kernels/gemm_tile.cuh"

namespace ml {
namespace {

// ---- operand loaders and epilogues of the three convolutions ----------------------------------

// forward B: im2col(x)[k = (c*R + r)*S + s][col = (n*P + p)*Q + q] = x[n][c][p*stride + r - pad][q*stride + s - pad].
struct Im2colLoad {
  const float* x;
  int C, H, W, RS, S, PQ, Q, stride, pad;
  FastDiv by_RS, by_S, by_PQ, by_Q;
  struct Ctx {
    const float* image;  // x[n]
    int h0, w0;          // top-left input position of the output pixel's window
  };
  __device__ Ctx context(int col) const {
    const int n = by_PQ.div(col), pq = col - n * PQ;
    const int p = by_Q.div(pq), q = pq - p * Q;
    return {x + static_cast<size_t>(n) * C * H * W, p * stride - pad, q * stride - pad};
  }
  __device__ float operator()(const Ctx& ctx, int k) const {
    const int c = by_RS.div(k), rs = k - c * RS;
    const int r = by_S.div(rs), s = rs - r * S;
    const int h = ctx.h0 + r, w = ctx.w0 + s;
    if (h < 0 || h >= H || w < 0 || w >= W) return 0.0f;
    return __ldg(ctx.image + (static_cast<size_t>(c) * H + h) * W + w);
  }
};

// forward epilogue: y[n][m][p][q] = acc + b[m], col = n*PQ + pq.
struct ConvOutStore {
  float* y;
  const float* bias;  // may be null
  int K, PQ;
  FastDiv by_PQ;
  __device__ void operator()(int m, int col, float acc) const {
    const int n = by_PQ.div(col), pq = col - n * PQ;
    y[(static_cast<size_t>(n) * K + m) * PQ + pq] = bias ? acc + bias[m] : acc;
  }
};

// backward_input A: w^T[c][k*RS + rs] = w[k][c][rs].
struct WeightTLoad {
  const float* w;
  int C, RS;
  FastDiv by_RS;
  using Ctx = const float*;
  __device__ Ctx context(int c) const { return w + static_cast<size_t>(c) * RS; }
  __device__ float operator()(Ctx row, int krs) const {
    const int k = by_RS.div(krs), rs = krs - k * RS;
    return __ldg(row + static_cast<size_t>(k) * C * RS + rs);
  }
};

// backward_input B: [k*RS + r*S + s][col = (n*H + h)*W + w] = dy[n][k][p][q] where
// p*stride = h + pad - r and q*stride = w + pad - s exactly, inside P x Q; else 0.
struct DyGatherLoad {
  const float* dy;
  int K, HW, W, RS, S, P, Q, stride, pad;
  FastDiv by_HW, by_W, by_RS, by_S, by_stride;
  struct Ctx {
    const float* image;  // dy[n]
    int h0, w0;          // h + pad, w + pad
  };
  __device__ Ctx context(int col) const {
    const int n = by_HW.div(col), hw = col - n * HW;
    const int h = by_W.div(hw), w = hw - h * W;
    return {dy + static_cast<size_t>(n) * K * P * Q, h + pad, w + pad};
  }
  __device__ float operator()(const Ctx& ctx, int krs) const {
    const int k = by_RS.div(krs), rs = krs - k * RS;
    const int r = by_S.div(rs), s = rs - r * S;
    const int hp = ctx.h0 - r, wq = ctx.w0 - s;  // = p*stride, q*stride when (p,q) reaches (h,w) through (r,s)
    if (hp < 0 || wq < 0) return 0.0f;
    const int p = by_stride.div(hp), q = by_stride.div(wq);
    if (p * stride != hp || q * stride != wq || p >= P || q >= Q) return 0.0f;
    return __ldg(ctx.image + (static_cast<size_t>(k) * P + p) * Q + q);
  }
};

// backward_input epilogue: dx[n][m][h][w] = acc, col = n*HW + hw.
struct ConvInStore {
  float* dx;
  int C, HW;
  FastDiv by_HW;
  __device__ void operator()(int m, int col, float acc) const {
    const int n = by_HW.div(col), hw = col - n * HW;
    dx[(static_cast<size_t>(n) * C + m) * HW + hw] = acc;
  }
};

// backward_weight A: dy as [k][red = n*PQ + pq] = dy[n][k][pq].
struct DyRowLoad {
  const float* dy;
  int K, PQ;
  FastDiv by_PQ;
  using Ctx = const float*;
  __device__ Ctx context(int k) const { return dy + static_cast<size_t>(k) * PQ; }
  __device__ float operator()(Ctx row, int red) const {
    const int n = by_PQ.div(red), pq = red - n * PQ;
    return __ldg(row + static_cast<size_t>(n) * K * PQ + pq);
  }
};

// backward_weight B: im2col(x)^T [red = (n*P + p)*Q + q][col = (c*R + r)*S + s] = x[n][c][p*stride + r - pad][q*stride + s - pad].
struct Im2colTLoad {
  const float* x;
  int C, H, W, RS, S, PQ, Q, stride, pad;
  FastDiv by_PQ, by_Q;
  struct Ctx {
    const float* plane;  // x[0][c]
    int r_off, s_off;    // r - pad, s - pad
  };
  __device__ Ctx context(int col) const {
    const int c = col / RS, rs = col - c * RS;
    const int r = rs / S, s = rs - r * S;
    return {x + static_cast<size_t>(c) * H * W, r - pad, s - pad};
  }
  __device__ float operator()(const Ctx& ctx, int red) const {
    const int n = by_PQ.div(red), pq = red - n * PQ;
    const int p = by_Q.div(pq), q = pq - p * Q;
    const int h = p * stride + ctx.r_off, w = q * stride + ctx.s_off;
    if (h < 0 || h >= H || w < 0 || w >= W) return 0.0f;
    return __ldg(ctx.plane + static_cast<size_t>(n) * C * H * W + static_cast<size_t>(h) * W + w);
  }
};

// backward_weight epilogue: dw[m][col] = acc.
struct RowMajorStore {
  float* out;
  int ld;
  __device__ void operator()(int m, int col, float acc) const { out[static_cast<size_t>(m) * ld + col] = acc; }
};

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

}  // namespace

void conv2d_forward_cuda(float* y, const float* x, const float* w, const float* b, const Conv2dShape& s) {
  check_shape(s, "conv2d_forward_cuda");
  const int P = s.P(), Q = s.Q(), RS = s.R * s.S;
  const StridedLoad la{w, static_cast<long long>(s.C) * RS, 1};
  const Im2colLoad lb{x, s.C, s.H, s.W, RS, s.S, P * Q, Q, s.stride, s.pad,
                      FastDiv(RS), FastDiv(s.S), FastDiv(P * Q), FastDiv(Q)};
  launch_gemm<Fast::K, Fast::MN>(s.K, s.N * P * Q, s.C * RS, la, lb, ConvOutStore{y, b, s.K, P * Q, FastDiv(P * Q)});
}

void conv2d_backward_input_cuda(float* dx, const float* dy, const float* w, const Conv2dShape& s) {
  check_shape(s, "conv2d_backward_input_cuda");
  const int P = s.P(), Q = s.Q(), RS = s.R * s.S, HW = s.H * s.W;
  const WeightTLoad la{w, s.C, RS, FastDiv(RS)};
  const DyGatherLoad lb{dy, s.K, HW, s.W, RS, s.S, P, Q, s.stride, s.pad,
                        FastDiv(HW), FastDiv(s.W), FastDiv(RS), FastDiv(s.S), FastDiv(s.stride)};
  launch_gemm<Fast::K, Fast::MN>(s.C, s.N * HW, s.K * RS, la, lb, ConvInStore{dx, s.C, HW, FastDiv(HW)});
}

void conv2d_backward_weight_cuda(float* dw, float* db, const float* dy, const float* x, const Conv2dShape& s) {
  check_shape(s, "conv2d_backward_weight_cuda");
  const int P = s.P(), Q = s.Q(), RS = s.R * s.S, CRS = s.C * RS;
  const DyRowLoad la{dy, s.K, P * Q, FastDiv(P * Q)};
  const Im2colTLoad lb{x, s.C, s.H, s.W, RS, s.S, P * Q, Q, s.stride, s.pad, FastDiv(P * Q), FastDiv(Q)};
  launch_gemm<Fast::K, Fast::K>(s.K, CRS, s.N * P * Q, la, lb, RowMajorStore{dw, CRS});
  if (!db) return;
  bias_grad_kernel<<<s.K, kBiasThreads>>>(db, dy, s.N, s.K, P * Q);
  CUDA_CHECK_LAUNCH();
}

}  // namespace ml
