#include <cmath>

#include "kernels/log_softmax_nll/log_softmax_nll.h"

namespace ml {

void log_softmax_nll_forward_cpu(float* logp, float* loss, const float* logits, const int32_t* labels, int N, int C) {
  for (int n = 0; n < N; ++n) {
    const float* z = logits + static_cast<size_t>(n) * C;
    float* out = logp + static_cast<size_t>(n) * C;
    float max_z = z[0];
    for (int c = 1; c < C; ++c) max_z = std::fmax(max_z, z[c]);
    double sum = 0.0;  // double: the log-sum-exp is the loss's only long-ish sum
    for (int c = 0; c < C; ++c) sum += std::exp(double(z[c]) - max_z);
    const float log_sum = static_cast<float>(std::log(sum)) + max_z;
    for (int c = 0; c < C; ++c) out[c] = z[c] - log_sum;
    loss[n] = -out[labels[n]];
  }
}

void log_softmax_nll_backward_cpu(float* dlogits, const float* logp, const int32_t* labels, int N, int C,
                                  float scale) {
  for (int n = 0; n < N; ++n) {
    for (int c = 0; c < C; ++c) {
      const size_t i = static_cast<size_t>(n) * C + c;
      dlogits[i] = scale * (std::exp(logp[i]) - (c == labels[n] ? 1.0f : 0.0f));
    }
  }
}

}  // namespace ml
