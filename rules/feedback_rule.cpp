#include "rules/feedback_rule.h"

#include <cmath>

#include "engine/tensor_ops.h"

namespace ml {

int fan_in(const Tensor& w) { return static_cast<int>(w.numel() / static_cast<size_t>(w.dim(0))); }
int fan_out(const Tensor& w) { return static_cast<int>(w.numel() / static_cast<size_t>(w.dim(1))); }

Tensor FeedbackRule::initial_feedback(Layer& layer, Rng& rng) {
  const Tensor& w = layer.weight()->value;
  const float bound = 1.0f / std::sqrt(static_cast<float>(fan_in(w)));
  return random_uniform(w.shape(), -bound, bound, rng, w.device());
}

void FeedbackRule::attach(Network& net, uint64_t seed) {
  feedback_.assign(net.size(), Tensor());
  names_.assign(net.size(), "");
  // A stream of its own, so feedback weights never shift the network's init or data order.
  Rng rng(seed ^ 0xFEEDBAC0FFEEull);
  for (size_t i = 0; i < net.size(); ++i) {
    Layer& layer = net.layer(i);
    if (!layer.weight()) continue;
    Rng layer_rng = rng.split(i);
    feedback_[i] = initial_feedback(layer, layer_rng);
    names_[i] = layer.name() + ".feedback";
  }
}

std::vector<NamedTensor> FeedbackRule::state() {
  std::vector<NamedTensor> out;
  for (size_t i = 0; i < feedback_.size(); ++i) {
    if (feedback_[i].defined()) out.push_back({names_[i], feedback_[i]});
  }
  return out;
}

}  // namespace ml
