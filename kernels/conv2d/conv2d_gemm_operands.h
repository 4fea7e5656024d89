// The three convolutions as implicit GEMMs: for each, the sizes M x N x K and the
// functors that read op(A)[m][k] and op(B)[k][n] straight from the NCHW tensors
// (no im2col buffer) and store C[m][n]. conv2d_cuda.cu runs them through the tile
// kernel of kernels/gemm_tile.cuh; they are host and device code, so the CPU test
// test_conv2d_gemm_operands runs the same index arithmetic through a plain loop
// against the CPU convolution.
//
//   forward              M = K output channels, N = N*P*Q output pixels, reduction C*R*S:
//                        A = w (rows contiguous), B = im2col(x) with stride and zero padding.
//   backward_input       M = C input channels, N = N*H*W input pixels, reduction K*R*S:
//     stride 1           a forward convolution of dy with the weights flipped in (r, s) and
//                        transposed in (k, c), padded by R - 1 - pad: the same im2col loader
//                        as forward, without forward's divisibility tests.
//     any stride         A = w^T, B = dy gathered at p = (h + pad - r) / stride, kept only
//                        when it divides exactly and lands inside P x Q.
//   backward_weight      M = K, N = C*R*S, reduction N*P*Q: A = dy, B = im2col(x)^T, both
//                        loaded along the reduction (contiguous q) so loads coalesce.
// Every division by a shape size is a FastDiv (multiply and shift): the loaders decode
// an index per loaded element, and plain integer divisions were their cost on the GPU.
#pragma once
#include <cstddef>

#include "kernels/conv2d/conv2d.h"
#include "kernels/fast_div.h"
#include "kernels/host_device.h"

namespace ml::conv_gemm {

// A read through the GPU's read-only data cache; a plain read on the CPU.
ML_HOST_DEVICE inline float read_only(const float* p) {
#ifdef __CUDA_ARCH__
  return __ldg(p);
#else
  return *p;
#endif
}

// ---- operand loaders: context(mn) resolves what stays fixed along k, operator()(ctx, k) reads.

// forward A: w as [m][k = c*RS + rs], rows of length C*R*S.
struct WeightRowLoad {
  const float* w;
  int CRS;
  using Ctx = const float*;
  ML_HOST_DEVICE Ctx context(int m) const { return w + static_cast<size_t>(m) * CRS; }
  ML_HOST_DEVICE float operator()(Ctx row, int k) const { return read_only(row + k); }
};

// forward B: im2col(x)[k = (c*R + r)*S + s][col = (n*P + p)*Q + q] = x[n][c][p*stride + r - pad][q*stride + s - pad].
struct Im2colLoad {
  const float* x;
  int C, H, W, RS, S, PQ, Q, stride, pad;
  FastDiv by_RS, by_S, by_PQ, by_Q;
  struct Ctx {
    const float* image;  // x[n]
    int h0, w0;          // top-left input position of the output pixel's window
  };
  ML_HOST_DEVICE Ctx context(int col) const {
    const int n = by_PQ.div(col), pq = col - n * PQ;
    const int p = by_Q.div(pq), q = pq - p * Q;
    return {x + static_cast<size_t>(n) * C * H * W, p * stride - pad, q * stride - pad};
  }
  ML_HOST_DEVICE float operator()(const Ctx& ctx, int k) const {
    const int c = by_RS.div(k), rs = k - c * RS;
    const int r = by_S.div(rs), s = rs - r * S;
    const int h = ctx.h0 + r, w = ctx.w0 + s;
    if (h < 0 || h >= H || w < 0 || w >= W) return 0.0f;
    return read_only(ctx.image + (static_cast<size_t>(c) * H + h) * W + w);
  }
};

// forward epilogue: y[n][m][p][q] = acc + b[m], col = n*PQ + pq.
struct ConvOutStore {
  float* y;
  const float* bias;  // may be null
  int K, PQ;
  FastDiv by_PQ;
  ML_HOST_DEVICE void operator()(int m, int col, float acc) const {
    const int n = by_PQ.div(col), pq = col - n * PQ;
    y[(static_cast<size_t>(n) * K + m) * PQ + pq] = bias ? acc + bias[m] : acc;
  }
};

// backward_input A: w^T[c][k*RS + rs] = w[k][c][rs], or with flip_rs w[k][c][RS - 1 - rs]
// (the kernel turned by 180 degrees: (R-1-r)*S + (S-1-s) = RS - 1 - (r*S + s)).
struct WeightTLoad {
  const float* w;
  int C, RS;
  bool flip_rs;
  FastDiv by_RS;
  using Ctx = const float*;
  ML_HOST_DEVICE Ctx context(int c) const { return w + static_cast<size_t>(c) * RS; }
  ML_HOST_DEVICE float operator()(Ctx row, int krs) const {
    const int k = by_RS.div(krs), rs = krs - k * RS;
    return read_only(row + static_cast<size_t>(k) * C * RS + (flip_rs ? RS - 1 - rs : rs));
  }
};

// backward_input B, any stride: [k*RS + r*S + s][col = (n*H + h)*W + w] = dy[n][k][p][q] where
// p*stride = h + pad - r and q*stride = w + pad - s exactly, inside P x Q; else 0.
struct DyGatherLoad {
  const float* dy;
  int K, HW, W, RS, S, P, Q, stride, pad;
  FastDiv by_HW, by_W, by_RS, by_S, by_stride;
  struct Ctx {
    const float* image;  // dy[n]
    int h0, w0;          // h + pad, w + pad
  };
  ML_HOST_DEVICE Ctx context(int col) const {
    const int n = by_HW.div(col), hw = col - n * HW;
    const int h = by_W.div(hw), w = hw - h * W;
    return {dy + static_cast<size_t>(n) * K * P * Q, h + pad, w + pad};
  }
  ML_HOST_DEVICE float operator()(const Ctx& ctx, int krs) const {
    const int k = by_RS.div(krs), rs = krs - k * RS;
    const int r = by_S.div(rs), s = rs - r * S;
    const int hp = ctx.h0 - r, wq = ctx.w0 - s;  // = p*stride, q*stride when (p,q) reaches (h,w) through (r,s)
    if (hp < 0 || wq < 0) return 0.0f;
    const int p = by_stride.div(hp), q = by_stride.div(wq);
    if (p * stride != hp || q * stride != wq || p >= P || q >= Q) return 0.0f;
    return read_only(ctx.image + (static_cast<size_t>(k) * P + p) * Q + q);
  }
};

// backward_input epilogue: dx[n][m][h][w] = acc, col = n*HW + hw.
struct ConvInStore {
  float* dx;
  int C, HW;
  FastDiv by_HW;
  ML_HOST_DEVICE void operator()(int m, int col, float acc) const {
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
  ML_HOST_DEVICE Ctx context(int k) const { return dy + static_cast<size_t>(k) * PQ; }
  ML_HOST_DEVICE float operator()(Ctx row, int red) const {
    const int n = by_PQ.div(red), pq = red - n * PQ;
    return read_only(row + static_cast<size_t>(n) * K * PQ + pq);
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
  ML_HOST_DEVICE Ctx context(int col) const {
    const int c = col / RS, rs = col - c * RS;
    const int r = rs / S, s = rs - r * S;
    return {x + static_cast<size_t>(c) * H * W, r - pad, s - pad};
  }
  ML_HOST_DEVICE float operator()(const Ctx& ctx, int red) const {
    const int n = by_PQ.div(red), pq = red - n * PQ;
    const int p = by_Q.div(pq), q = pq - p * Q;
    const int h = p * stride + ctx.r_off, w = q * stride + ctx.s_off;
    if (h < 0 || h >= H || w < 0 || w >= W) return 0.0f;
    return read_only(ctx.plane + static_cast<size_t>(n) * C * H * W + static_cast<size_t>(h) * W + w);
  }
};

// backward_weight epilogue: dw[m][col] = acc.
struct RowMajorStore {
  float* out;
  int ld;
  ML_HOST_DEVICE void operator()(int m, int col, float acc) const { out[static_cast<size_t>(m) * ld + col] = acc; }
};

// ---- the three GEMMs -------------------------------------------------------------------------

template <class LoadA, class LoadB, class Store>
struct Gemm {
  int M, N, K;
  LoadA a;
  LoadB b;
  Store store;
};

inline Gemm<WeightRowLoad, Im2colLoad, ConvOutStore> forward(float* y, const float* x, const float* w,
                                                              const float* bias, const Conv2dShape& s) {
  const int P = s.P(), Q = s.Q(), RS = s.R * s.S;
  return {s.K,
          s.N * P * Q,
          s.C * RS,
          {w, s.C * RS},
          {x, s.C, s.H, s.W, RS, s.S, P * Q, Q, s.stride, s.pad, FastDiv(RS), FastDiv(s.S), FastDiv(P * Q), FastDiv(Q)},
          {y, bias, s.K, P * Q, FastDiv(P * Q)}};
}

// With stride 1 and a square kernel, dx[n][c][h][w] = sum over k, r, s of w[k][c][r][s] dy[n][k][h + pad - r][w + pad - s]
// is a forward convolution of dy (K channels, P x Q) with w'[c][k][r'][s'] = w[k][c][R-1-r'][S-1-s'] and
// padding R - 1 - pad; its output is H x W again (P = H + 2 pad - R + 1).
inline bool backward_input_is_flipped_forward(const Conv2dShape& s) {
  return s.stride == 1 && s.R == s.S && s.pad <= s.R - 1;
}

inline Gemm<WeightTLoad, Im2colLoad, ConvInStore> backward_input_flipped(float* dx, const float* dy, const float* w,
                                                                          const Conv2dShape& s) {
  const int P = s.P(), Q = s.Q(), RS = s.R * s.S, HW = s.H * s.W, flipped_pad = s.R - 1 - s.pad;
  return {s.C,
          s.N * HW,
          s.K * RS,
          {w, s.C, RS, true, FastDiv(RS)},
          {dy, s.K, P, Q, RS, s.S, HW, s.W, 1, flipped_pad, FastDiv(RS), FastDiv(s.S), FastDiv(HW), FastDiv(s.W)},
          {dx, s.C, HW, FastDiv(HW)}};
}

inline Gemm<WeightTLoad, DyGatherLoad, ConvInStore> backward_input_gather(float* dx, const float* dy, const float* w,
                                                                           const Conv2dShape& s) {
  const int P = s.P(), Q = s.Q(), RS = s.R * s.S, HW = s.H * s.W;
  return {s.C,
          s.N * HW,
          s.K * RS,
          {w, s.C, RS, false, FastDiv(RS)},
          {dy, s.K, HW, s.W, RS, s.S, P, Q, s.stride, s.pad, FastDiv(HW), FastDiv(s.W), FastDiv(RS), FastDiv(s.S),
           FastDiv(s.stride)},
          {dx, s.C, HW, FastDiv(HW)}};
}

inline Gemm<DyRowLoad, Im2colTLoad, RowMajorStore> backward_weight(float* dw, const float* dy, const float* x,
                                                                   const Conv2dShape& s) {
  const int P = s.P(), Q = s.Q(), RS = s.R * s.S, CRS = s.C * RS;
  return {s.K,
          CRS,
          s.N * P * Q,
          {dy, s.K, P * Q, FastDiv(P * Q)},
          {x, s.C, s.H, s.W, RS, s.S, P * Q, Q, s.stride, s.pad, FastDiv(P * Q), FastDiv(Q)},
          {dw, CRS}};
}

}  // namespace ml::conv_gemm
