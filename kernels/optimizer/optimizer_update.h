// Parameter updates, elementwise over n values, PyTorch's semantics:
//   SGD:  g = grad_scale * grad + weight_decay * w;  v = momentum * v + g;  w -= lr * v   (v unused when momentum == 0)
//   Adam: g = grad_scale * grad + weight_decay * w;  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
//         w -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps),  t = step (1-based)
// grad_scale is 1 except under gradient-norm clipping (engine/optimizer.h): the
// clipped gradient is never stored, and 1 * grad leaves the unclipped numbers as they were.
#pragma once
#include <cstddef>

namespace ml {

struct SgdConfig {
  float lr = 0.01f, momentum = 0.0f, weight_decay = 0.0f, grad_scale = 1.0f;
};

struct AdamConfig {
  float lr = 1e-3f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, weight_decay = 0.0f, grad_scale = 1.0f;
};

void sgd_update_cpu(float* w, float* velocity, const float* grad, size_t n, const SgdConfig& c);
void sgd_update_cuda(float* w, float* velocity, const float* grad, size_t n, const SgdConfig& c);

void adam_update_cpu(float* w, float* m, float* v, const float* grad, size_t n, const AdamConfig& c, int step);
void adam_update_cuda(float* w, float* m, float* v, const float* grad, size_t n, const AdamConfig& c, int step);

// The sum of x[i]^2 over n values, accumulated in double in a fixed order (deterministic).
double sum_squares_cpu(const float* x, size_t n);
// The same for `count` device arrays at once: sums[k] = sum of arrays[k][i]^2 over sizes[k]
// values. One kernel per array, one read-back of all the sums (a host wait per step, not per array).
void sum_squares_cuda(const float* const* arrays, const size_t* sizes, size_t count, double* sums);

}  // namespace ml
