// Log-softmax + negative log-likelihood over the network's logits: the
// network's last op (the seed LeNet's F.log_softmax + F.nll_loss).
#pragma once
#include <vector>

#include "engine/int_buffer.h"
#include "engine/tensor.h"

namespace ml {

struct LossResult {
  double loss_sum = 0;  // summed over the batch
  int correct = 0;      // argmax == label
  int count = 0;
  bool finite = true;
};

class LogSoftmaxNLL {
 public:
  // labels lives on the logits' device; host_labels is the same data on the host.
  LossResult forward(const Tensor& logits, const IntBuffer& labels, const std::vector<int32_t>& host_labels);
  // Gradient of the MEAN loss over the batch with respect to the logits.
  const Tensor& backward(const IntBuffer& labels);

  const Tensor& log_probs() const { return logp_; }

 private:
  Tensor logp_, loss_, dlogits_;
  std::vector<float> host_logp_, host_loss_;
};

}  // namespace ml
