#include <cmath>

#include "kernels/optimizer/optimizer_update.h"

namespace ml {

void sgd_update_cpu(float* w, float* velocity, const float* grad, size_t n, const SgdConfig& c) {
  if (c.momentum == 0.0f) {
#pragma omp parallel for simd schedule(static) if (n > 65536)
    for (size_t i = 0; i < n; ++i) w[i] -= c.lr * (c.grad_scale * grad[i] + c.weight_decay * w[i]);
    return;
  }
#pragma omp parallel for simd schedule(static) if (n > 65536)
  for (size_t i = 0; i < n; ++i) {
    velocity[i] = c.momentum * velocity[i] + c.grad_scale * grad[i] + c.weight_decay * w[i];
    w[i] -= c.lr * velocity[i];
  }
}

void adam_update_cpu(float* w, float* m, float* v, const float* grad, size_t n, const AdamConfig& c, int step) {
  const float bias1 = 1.0f - std::pow(c.beta1, static_cast<float>(step));
  const float bias2 = 1.0f - std::pow(c.beta2, static_cast<float>(step));
#pragma omp parallel for simd schedule(static) if (n > 65536)
  for (size_t i = 0; i < n; ++i) {
    const float g = c.grad_scale * grad[i] + c.weight_decay * w[i];
    m[i] = c.beta1 * m[i] + (1.0f - c.beta1) * g;
    v[i] = c.beta2 * v[i] + (1.0f - c.beta2) * g * g;
    w[i] -= c.lr * (m[i] / bias1) / (std::sqrt(v[i] / bias2) + c.eps);
  }
}

// Serial on purpose: the sum must not depend on the thread count (a run resumed
// with other threads would clip differently), and it is a small share of a step.
double sum_squares_cpu(const float* x, size_t n) {
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  return sum;
}

}  // namespace ml
