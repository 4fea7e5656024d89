#include "rules/dfa.h"

#include <cmath>

#include "engine/layers/activation.h"
#include "engine/tensor_ops.h"
#include "kernels/linear/linear.h"
#include "kernels/relu/relu.h"
#include "rules/registry.h"

namespace ml {

void DirectFeedbackAlignment::attach(Network& net, uint64_t seed) {
  feedback_.assign(net.size(), Tensor());
  delta_.assign(net.size(), Tensor());
  names_.assign(net.size(), "");
  size_t last = net.size();
  for (size_t i = 0; i < net.size(); ++i) {
    if (net.layer(i).weight()) last = i;
  }
  const int classes = net.output_shape()[0];
  Shape shape = net.input_shape();
  Rng rng(seed ^ 0xD1EC7FEEDull);
  for (size_t i = 0; i < net.size(); ++i) {
    shape = net.layer(i).output_shape(shape);
    if (!net.layer(i).weight() || i == last) continue;
    const int size = static_cast<int>(shape_numel(shape));
    const float bound = 1.0f / std::sqrt(static_cast<float>(size));
    Rng layer_rng = rng.split(i);
    feedback_[i] = random_uniform({classes, size}, -bound, bound, layer_rng, net.device());
    names_[i] = net.layer(i).name() + ".direct_feedback";
  }
}

LossResult DirectFeedbackAlignment::compute_gradients(Network& net, const Batch& batch) {
  deltas_.assign(net.size(), nullptr);
  LossResult result = loss_.forward(net.forward(batch.x), batch.labels, batch.host_labels);
  if (!result.finite) return result;
  const Tensor& e = loss_.backward(batch.labels);
  const int N = e.dim(0), classes = e.dim(1);
  for (size_t i = 0; i < net.size(); ++i) {
    Layer& layer = net.layer(i);
    if (!layer.weight()) continue;
    if (!feedback_[i].defined()) {  // the last weight layer: the true output error
      deltas_[i] = &e;
      layer.weight_grads(e);
      continue;
    }
    const Tensor& out = layer.output();
    const LinearShape s{N, feedback_[i].dim(1), classes};  // delta[N, size] = e[N, classes] B[classes, size]
    ensure(delta_[i], out.shape(), out.device());
    float* d = delta_[i].data();
    const Device device = out.device();
    ML_ON_DEVICE(device, linear_backward_input, d, e.data(), feedback_[i].data(), s);
    // f'(a_l): the ReLU that follows the layer, if any (its output > 0).
    if (i + 1 < net.size() && dynamic_cast<ReLU*>(&net.layer(i + 1))) {
      const float* y = net.layer(i + 1).output().data();
      ML_ON_DEVICE(device, relu_backward, d, d, y, out.numel());
    }
    deltas_[i] = &delta_[i];
    layer.weight_grads(delta_[i]);
  }
  return result;
}

LossResult DirectFeedbackAlignment::train_step(Network& net, const Batch& batch, Optimizer& opt) {
  LossResult result = compute_gradients(net, batch);
  if (result.finite) opt.step(net.params());
  return result;
}

std::vector<NamedTensor> DirectFeedbackAlignment::state() {
  std::vector<NamedTensor> out;
  for (size_t i = 0; i < feedback_.size(); ++i) {
    if (feedback_[i].defined()) out.push_back({names_[i], feedback_[i]});
  }
  return out;
}

// As fa: bp's 0.01 diverges on the seed LeNet (docs/RESULTS.md).
ML_REGISTER_RULE(dfa, {.name = "dfa",
                       .order = 40,
                       .training_defaults = {{"lr", "0.001"}},
                       .make = [](const FlagValues&) -> std::unique_ptr<LearningRule> {
                         return std::make_unique<DirectFeedbackAlignment>();
                       }})

}  // namespace ml
