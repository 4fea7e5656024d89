#include "kernels/noise/noise_hash.h"
#include "kernels/perturb/perturb.h"

namespace ml {

void perturb_copies_cpu(float* y, float* noise, const float* x, float sigma, uint64_t seed, size_t M, int copies,
                        bool antithetic) {
  for (size_t i = 0; i < M; ++i) {  // the clean copy
    y[i] = x[i];
    noise[i] = 0.0f;
  }
  for (int c = 1; c < copies; ++c) {
    const uint64_t draw = antithetic ? uint64_t(c - 1) / 2 : uint64_t(c - 1);
    const float s = antithetic && (c - 1) % 2 == 1 ? -sigma : sigma;
    const size_t off = size_t(c) * M;
#pragma omp parallel for schedule(static) if (M > 65536)
    for (size_t i = 0; i < M; ++i) {
      const float n = s * normal_at(seed, draw * M + i);
      noise[off + i] = n;
      y[off + i] = x[off + i] + n;
    }
  }
}

void scale_rows_cpu(float* y, const float* x, const float* coef, size_t rows, size_t row_size) {
#pragma omp parallel for schedule(static) if (rows * row_size > 65536)
  for (size_t r = 0; r < rows; ++r) {
    const float c = coef[r];
    for (size_t f = 0; f < row_size; ++f) y[r * row_size + f] = c * x[r * row_size + f];
  }
}

}  // namespace ml
