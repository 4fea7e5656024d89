#include "engine/loss.h"

#include <cmath>

#include "base/cuda_memory.h"
#include "engine/host_transfers.h"
#include "kernels/log_softmax_nll/log_softmax_nll.h"

namespace ml {

LossResult LogSoftmaxNLL::forward(const Tensor& logits, const IntBuffer& labels, const std::vector<int32_t>& host_labels) {
  const int N = logits.dim(0), C = logits.dim(1);
  ensure(logp_, logits.shape(), logits.device());
  ensure(loss_, {N}, logits.device());
  ML_ON_DEVICE(logits.device(), log_softmax_nll_forward, logp_.data(), loss_.data(), logits.data(), labels.data(), N, C);
  // The accuracy and the loss sum are read on the host: N x C floats per batch.
  host_logp_.resize(logp_.numel());
  host_loss_.resize(N);
  count_host_read(logp_.numel() * sizeof(float));  // two copies: the log-probabilities and the losses
  count_host_read(N * sizeof(float));
  if (logits.device() == Device::CUDA) {
    cuda_copy_to_host(host_logp_.data(), logp_.data(), host_logp_.size() * sizeof(float));
    cuda_copy_to_host(host_loss_.data(), loss_.data(), host_loss_.size() * sizeof(float));
  } else {
    std::copy(logp_.data(), logp_.data() + logp_.numel(), host_logp_.begin());
    std::copy(loss_.data(), loss_.data() + N, host_loss_.begin());
  }
  LossResult r;
  r.count = N;
  for (int n = 0; n < N; ++n) {
    r.loss_sum += host_loss_[n];
    const float* row = host_logp_.data() + static_cast<size_t>(n) * C;
    int best = 0;
    for (int c = 1; c < C; ++c) {
      if (row[c] > row[best]) best = c;
    }
    r.correct += best == host_labels[n];
  }
  r.finite = std::isfinite(r.loss_sum);
  return r;
}

const Tensor& LogSoftmaxNLL::backward(const IntBuffer& labels) {
  const int N = logp_.dim(0), C = logp_.dim(1);
  ensure(dlogits_, logp_.shape(), logp_.device());
  const float scale = 1.0f / static_cast<float>(N);
  ML_ON_DEVICE(logp_.device(), log_softmax_nll_backward, dlogits_.data(), logp_.data(), labels.data(), N, C, scale);
  return dlogits_;
}

}  // namespace ml
