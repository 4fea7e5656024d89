// Log-softmax over classes followed by the negative log-likelihood loss.
// Overwrites outputs. labels are int32 class indices in [0, C).
#pragma once
#include <cstdint>

namespace ml {

// logp[N,C] = log_softmax(logits); loss[N] = -logp[n, labels[n]].
void log_softmax_nll_forward_cpu(float* logp, float* loss, const float* logits, const int32_t* labels, int N, int C);
void log_softmax_nll_forward_cuda(float* logp, float* loss, const float* logits, const int32_t* labels, int N, int C);

// dlogits[N,C] = scale * (exp(logp) - onehot(labels)): the gradient of
// scale * sum_n loss[n] (scale = 1/N for the mean loss).
void log_softmax_nll_backward_cpu(float* dlogits, const float* logp, const int32_t* labels, int N, int C, float scale);
void log_softmax_nll_backward_cuda(float* dlogits, const float* logp, const int32_t* labels, int N, int C,
                                   float scale);

}  // namespace ml
