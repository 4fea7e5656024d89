#include <cstring>

#include "kernels/maxpool2d/maxpool2d.h"

namespace ml {

void maxpool2d_forward_cpu(float* y, int32_t* argmax, const float* x, const Pool2dShape& s) {
  const int P = s.P(), Q = s.Q();
#pragma omp parallel for schedule(static)
  for (int plane = 0; plane < s.N * s.C; ++plane) {
    const float* in = x + static_cast<size_t>(plane) * s.H * s.W;
    float* out = y + static_cast<size_t>(plane) * P * Q;
    int32_t* arg = argmax + static_cast<size_t>(plane) * P * Q;
    for (int p = 0; p < P; ++p) {
      for (int q = 0; q < Q; ++q) {
        int best = (p * s.stride) * s.W + q * s.stride;
        float best_value = in[best];
        for (int r = 0; r < s.kernel; ++r) {
          for (int c = 0; c < s.kernel; ++c) {
            const int idx = (p * s.stride + r) * s.W + q * s.stride + c;
            // strict '>' keeps the first maximum; NaN propagates like PyTorch's
            if (in[idx] > best_value || (in[idx] != in[idx] && best_value == best_value)) {
              best_value = in[idx];
              best = idx;
            }
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
