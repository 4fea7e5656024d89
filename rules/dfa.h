// Direct feedback alignment (Nokland 2016): the output error e = dLoss/dlogits
// goes straight to every hidden weight layer through a fixed random matrix
// B_l (classes x the layer's output size; uniform +-1/sqrt(output size)),
// times the derivative of the activation that follows the layer:
//   delta_l = (e B_l) * f'(a_l).
// The last weight layer gets e itself. For a conv layer B_l maps e onto the
// whole C x H x W output map (one dense matrix).
#pragma once
#include "rules/learning_rule.h"

namespace ml {

class DirectFeedbackAlignment : public LearningRule {
 public:
  std::string name() const override { return "dfa"; }
  void attach(Network& net, uint64_t seed) override;
  LossResult train_step(Network& net, const Batch& batch, Optimizer& opt) override;
  LossResult compute_gradients(Network& net, const Batch& batch) override;
  std::vector<NamedTensor> state() override;
  nlohmann::json config() const override { return {{"feedback_init", "uniform(+-1/sqrt(layer output size)), fixed"}}; }

  // B_l of layer i ([classes, output size]); undefined for the last weight layer and layers without weights.
  Tensor& direct_feedback(size_t i) { return feedback_.at(i); }

 private:
  std::vector<Tensor> feedback_, delta_;
  std::vector<std::string> names_;
};

}  // namespace ml
