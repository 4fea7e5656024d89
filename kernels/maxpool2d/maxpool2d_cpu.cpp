#include <algorithm>
#include <cstring>

#include "kernels/maxpool2d/maxpool2d.h"

namespace ml {

namespace {

// Strict '>' keeps the first maximum on ties; a NaN wins over any number (it
// propagates, like PyTorch).
inline void take_larger(float v, int idx, float& best_value, int& best) {
  const bool take = (v > best_value) | ((v != v) & (best_value == best_value));
  best_value = take ? v : best_value;
  best = take ? idx : best;
}

// The seed LeNet's pool (2x2, stride 2), without a data-dependent branch: a row
// holding a NaN is redone by the careful path (rare; the first NaN must win).
void pool2x2_plane(float* out, int32_t* arg, const float* in, int W, int P, int Q) {
  for (int p = 0; p < P; ++p) {
    const float* row0 = in + (2 * p) * W;
    const float* row1 = row0 + W;
    float* out_row = out + p * Q;
    int32_t* arg_row = arg + p * Q;
    int has_nan = 0;
    for (int q = 0; q < Q; ++q) {
      const float a = row0[2 * q], b = row0[2 * q + 1], c = row1[2 * q], d = row1[2 * q + 1];
      has_nan |= (a != a) | (b != b) | (c != c) | (d != d);
      const float m = std::max(std::max(a, b), std::max(c, d));
      // The first element equal to the maximum, in row-major window order, by
      // arithmetic: the winner is unpredictable and branches on it mispredict.
      const int not_a = a != m, not_ab = not_a & (b != m), not_abc = not_ab & (c != m);
      const int at = (not_a & !not_ab) + (not_ab & !not_abc) * W + not_abc * (W + 1);
      out_row[q] = m;
      arg_row[q] = (2 * p) * W + 2 * q + at;
    }
    if (!has_nan) continue;
    for (int q = 0; q < Q; ++q) {
      int best = (2 * p) * W + 2 * q;
      float best_value = in[best];
      take_larger(in[best + 1], best + 1, best_value, best);
      take_larger(in[(2 * p + 1) * W + 2 * q], (2 * p + 1) * W + 2 * q, best_value, best);
      take_larger(in[(2 * p + 1) * W + 2 * q + 1], (2 * p + 1) * W + 2 * q + 1, best_value, best);
      out_row[q] = best_value;
      arg_row[q] = best;
    }
  }
}

}  // namespace

void maxpool2d_forward_cpu(float* y, int32_t* argmax, const float* x, const Pool2dShape& s) {
  const int P = s.P(), Q = s.Q();
#pragma omp parallel for schedule(static)
  for (int plane = 0; plane < s.N * s.C; ++plane) {
    const float* in = x + static_cast<size_t>(plane) * s.H * s.W;
    float* out = y + static_cast<size_t>(plane) * P * Q;
    int32_t* arg = argmax + static_cast<size_t>(plane) * P * Q;
    if (s.kernel == 2 && s.stride == 2) {
      pool2x2_plane(out, arg, in, s.W, P, Q);
      continue;
    }
    for (int p = 0; p < P; ++p) {
      for (int q = 0; q < Q; ++q) {
        int best = (p * s.stride) * s.W + q * s.stride;
        float best_value = in[best];
        for (int r = 0; r < s.kernel; ++r) {
          for (int c = 0; c < s.kernel; ++c) {
            const int idx = (p * s.stride + r) * s.W + q * s.stride + c;
            take_larger(in[idx], idx, best_value, best);
          }
        }
        out[p * Q + q] = best_value;
        arg[p * Q + q] = best;
      }
    }
  }
}

void maxpool2d_backward_cpu(float* dx, const float* dy, const int32_t* argmax, const Pool2dShape& s) {
  const int PQ = s.P() * s.Q();
#pragma omp parallel for schedule(static)
  for (int plane = 0; plane < s.N * s.C; ++plane) {
    float* out = dx + static_cast<size_t>(plane) * s.H * s.W;
    std::memset(out, 0, sizeof(float) * s.H * s.W);
    const float* g = dy + static_cast<size_t>(plane) * PQ;
    const int32_t* arg = argmax + static_cast<size_t>(plane) * PQ;
    for (int i = 0; i < PQ; ++i) out[arg[i]] += g[i];
  }
}

}  // namespace ml
