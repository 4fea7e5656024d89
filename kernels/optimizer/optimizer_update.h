// Parameter updates, elementwise over n values, PyTorch's semantics:
//   SGD:  g = grad + weight_decay * w;  v = momentum * v + g;  w -= lr * v   (v unused when momentum == 0)
//   Adam: g = grad + weight_decay * w;  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
//         w -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps),  t = step (1-based)
#pragma once
#include <cstddef>

namespace ml {

struct SgdConfig {
  float lr = 0.01f, momentum = 0.0f, weight_decay = 0.0f;
};

struct AdamConfig {
  float lr = 1e-3f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, weight_decay = 0.0f;
};

void sgd_update_cpu(float* w, float* velocity, const float* grad, size_t n, const SgdConfig& c);
void sgd_update_cuda(float* w, float* velocity, const float* grad, size_t n, const SgdConfig& c);

void adam_update_cpu(float* w, float* m, float* v, const float* grad, size_t n, const AdamConfig& c, int step);
void adam_update_cuda(float* w, float* m, float* v, const float* grad, size_t n, const AdamConfig& c, int step);

}  // namespace ml
