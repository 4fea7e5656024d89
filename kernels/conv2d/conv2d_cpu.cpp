// CPU convolution: per-sample im2col + Eigen GEMM, samples split over the
// cores with OpenMP (static schedule: the same thread count gives the same
// summation order, so results are bit-for-bit repeatable).
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/conv2d/conv2d.h"
#include "kernels/eigen_maps.h"

namespace ml {
namespace {

// The output columns q in [lo, hi) whose input column w = q * stride + shift
// (shift = the kernel column - pad) lies inside [0, W); the others read the zero padding.
struct InsideColumns {
  int lo, hi;
};
InsideColumns inside_columns(int shift, const Conv2dShape& s) {
  const int Q = s.Q();
  const int lo = shift >= 0 ? 0 : (-shift + s.stride - 1) / s.stride;
  const int last = s.W - 1 - shift;  // q * stride may be at most this
  const int hi = last < 0 ? 0 : last / s.stride + 1;
  return {std::min(lo, Q), std::clamp(hi, std::min(lo, Q), Q)};
}

// col[(c*R + r)*S + s][p*Q + q] = x[c][p*stride + r - pad][q*stride + s - pad] (0 outside).
void im2col(float* col, const float* x, const Conv2dShape& s) {
  const int P = s.P(), Q = s.Q();
  for (int c = 0; c < s.C; ++c) {
    for (int r = 0; r < s.R; ++r) {
      for (int sx = 0; sx < s.S; ++sx) {
        float* row = col + (static_cast<size_t>(c * s.R + r) * s.S + sx) * P * Q;
        const float* plane = x + static_cast<size_t>(c) * s.H * s.W;
        const int shift = sx - s.pad;
        const auto [lo, hi] = inside_columns(shift, s);
        for (int p = 0; p < P; ++p) {
          const int h = p * s.stride + r - s.pad;
          float* out = row + p * Q;
          if (h < 0 || h >= s.H) {
            std::memset(out, 0, sizeof(float) * Q);
            continue;
          }
          const float* in = plane + h * s.W;
          std::fill(out, out + lo, 0.0f);
          if (s.stride == 1) {
            if (hi > lo) std::memcpy(out + lo, in + lo + shift, sizeof(float) * (hi - lo));
          } else {
            for (int q = lo; q < hi; ++q) out[q] = in[q * s.stride + shift];
          }
          std::fill(out + hi, out + Q, 0.0f);
        }
      }
    }
  }
}

// x[c][h][w] += col[...]: the adjoint of im2col. x must be zeroed first.
void col2im_add(float* x, const float* col, const Conv2dShape& s) {
  const int P = s.P(), Q = s.Q();
  for (int c = 0; c < s.C; ++c) {
    float* plane = x + static_cast<size_t>(c) * s.H * s.W;
    for (int r = 0; r < s.R; ++r) {
      for (int sx = 0; sx < s.S; ++sx) {
        const float* row = col + (static_cast<size_t>(c * s.R + r) * s.S + sx) * P * Q;
        const int shift = sx - s.pad;
        const auto [lo, hi] = inside_columns(shift, s);
        for (int p = 0; p < P; ++p) {
          const int h = p * s.stride + r - s.pad;
          if (h < 0 || h >= s.H) continue;
          float* out = plane + h * s.W;
          const float* in = row + p * Q;
          if (s.stride == 1) {
            for (int q = lo; q < hi; ++q) out[q + shift] += in[q];
          } else {
            for (int q = lo; q < hi; ++q) out[q * s.stride + shift] += in[q];
          }
        }
      }
    }
  }
}

bool is_pointwise(const Conv2dShape& s) { return s.R == 1 && s.S == 1 && s.stride == 1 && s.pad == 0; }

// One scratch buffer per thread, grown on first use and then reused batch after batch.
float* thread_scratch(size_t floats) {
  thread_local std::vector<float> buffer;
  if (buffer.size() < floats) buffer.resize(floats);
  return buffer.data();
}

}  // namespace

void conv2d_forward_cpu(float* y, const float* x, const float* w, const float* b, const Conv2dShape& s) {
  const int P = s.P(), Q = s.Q(), PQ = P * Q, CRS = s.C * s.R * s.S;
  ConstMatrixMap W(w, s.K, CRS);
#pragma omp parallel for schedule(static)
  for (int n = 0; n < s.N; ++n) {
    const float* xn = x + static_cast<size_t>(n) * s.C * s.H * s.W;
    const float* col = xn;
    if (!is_pointwise(s)) {
      float* scratch = thread_scratch(static_cast<size_t>(CRS) * PQ);
      im2col(scratch, xn, s);
      col = scratch;
    }
    MutMatrixMap Y(y + static_cast<size_t>(n) * s.K * PQ, s.K, PQ);
    Y.noalias() = W * ConstMatrixMap(col, CRS, PQ);
    if (b) {
      for (int k = 0; k < s.K; ++k) Y.row(k).array() += b[k];
    }
  }
}

void conv2d_backward_input_cpu(float* dx, const float* dy, const float* w, const Conv2dShape& s) {
  const int P = s.P(), Q = s.Q(), PQ = P * Q, CRS = s.C * s.R * s.S;
  ConstMatrixMap W(w, s.K, CRS);
#pragma omp parallel for schedule(static)
  for (int n = 0; n < s.N; ++n) {
    float* dxn = dx + static_cast<size_t>(n) * s.C * s.H * s.W;
    ConstMatrixMap DY(dy + static_cast<size_t>(n) * s.K * PQ, s.K, PQ);
    if (is_pointwise(s)) {
      MutMatrixMap(dxn, CRS, PQ).noalias() = W.transpose() * DY;
      continue;
    }
    float* dcol = thread_scratch(static_cast<size_t>(CRS) * PQ);
    MutMatrixMap(dcol, CRS, PQ).noalias() = W.transpose() * DY;
    std::memset(dxn, 0, sizeof(float) * s.C * s.H * s.W);
    col2im_add(dxn, dcol, s);
  }
}

void conv2d_backward_weight_cpu(float* dw, float* db, const float* dy, const float* x, const Conv2dShape& s) {
  const int P = s.P(), Q = s.Q(), PQ = P * Q, CRS = s.C * s.R * s.S;
  const int threads = std::max(1, std::min(omp_get_max_threads(), s.N));
  // Each thread sums its own contiguous block of samples; the partial sums are
  // then added in thread order, so the result does not depend on timing.
  // Kept between calls so the batch loop does not allocate (single caller at a time).
  static std::vector<float> partials;
  const size_t per_thread = static_cast<size_t>(s.K) * CRS + s.K;
  if (partials.size() < per_thread * threads) partials.resize(per_thread * threads);
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    MutMatrixMap part_w(partials.data() + per_thread * t, s.K, CRS);
    Eigen::Map<Eigen::VectorXf> part_b(partials.data() + per_thread * t + static_cast<size_t>(s.K) * CRS, s.K);
    part_w.setZero();
    part_b.setZero();
    const int begin = static_cast<int>(static_cast<long>(s.N) * t / threads);
    const int end = static_cast<int>(static_cast<long>(s.N) * (t + 1) / threads);
    float* scratch = is_pointwise(s) ? nullptr : thread_scratch(static_cast<size_t>(CRS) * PQ);
    for (int n = begin; n < end; ++n) {
      const float* xn = x + static_cast<size_t>(n) * s.C * s.H * s.W;
      const float* col = xn;
      if (scratch) {
        im2col(scratch, xn, s);
        col = scratch;
      }
      ConstMatrixMap DY(dy + static_cast<size_t>(n) * s.K * PQ, s.K, PQ);
      part_w.noalias() += DY * ConstMatrixMap(col, CRS, PQ).transpose();
      if (db) part_b += DY.rowwise().sum();
    }
  }
  const size_t wsize = static_cast<size_t>(s.K) * CRS;
  std::memcpy(dw, partials.data(), sizeof(float) * wsize);
  if (db) std::memcpy(db, partials.data() + wsize, sizeof(float) * s.K);
  for (int t = 1; t < threads; ++t) {
    const float* part = partials.data() + per_thread * t;
    for (size_t i = 0; i < wsize; ++i) dw[i] += part[i];
    if (db) {
      for (int k = 0; k < s.K; ++k) db[k] += part[wsize + k];
    }
  }
}

}  // namespace ml
