#include <cmath>

#include "kernels/elementwise/elementwise.h"

namespace ml {

void axpby_cpu(float* y, const float* x, float a, float b, size_t n) {
#pragma omp parallel for simd schedule(static) if (n > 65536)
  for (size_t i = 0; i < n; ++i) y[i] = a * x[i] + b * y[i];
}

void sign_feedback_cpu(float* out, const float* w, const float* magnitude, float scale, size_t n) {
#pragma omp parallel for simd schedule(static) if (n > 65536)
  for (size_t i = 0; i < n; ++i) {
    const float s = w[i] > 0.0f ? 1.0f : (w[i] < 0.0f ? -1.0f : 0.0f);
    out[i] = s * (magnitude ? std::fabs(magnitude[i]) : scale);
  }
}

}  // namespace ml
