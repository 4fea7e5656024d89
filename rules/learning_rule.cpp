#include "rules/learning_rule.h"

namespace ml {

LossResult LearningRule::evaluate(Network& net, const Batch& batch) {
  return loss_.forward(net.forward(batch.x), batch.labels, batch.host_labels);
}

LossResult BackwardChainRule::train_step(Network& net, const Batch& batch, Optimizer& opt) {
  LossResult result = compute_gradients(net, batch);
  if (!result.finite) return result;  // the caller stops; nothing is updated
  opt.step(net.params());
  update_feedback(net, batch, opt);
  return result;
}

LossResult BackwardChainRule::compute_gradients(Network& net, const Batch& batch) {
  LossResult result = loss_.forward(net.forward(batch.x), batch.labels, batch.host_labels);
  if (!result.finite) return result;
  const Tensor* delta = &loss_.backward(batch.labels);
  for (size_t i = net.size(); i-- > 0;) {
    Layer& layer = net.layer(i);
    if (layer.weight()) layer.weight_grads(*delta);
    if (i > 0) delta = &layer.backward_input(*delta, feedback_weight(i, layer));  // no error needed below layer 0
  }
  return result;
}

}  // namespace ml
