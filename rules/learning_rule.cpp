#include "rules/learning_rule.h"

#include "engine/tensor_ops.h"

namespace ml {

LossResult backward_walk(Network& net, const Batch& batch, LogSoftmaxNLL& loss, const FeedbackChooser& feedback,
                         std::vector<const Tensor*>& deltas) {
  deltas.assign(net.size(), nullptr);
  LossResult result = loss.forward(net.forward(batch.x), batch.labels, batch.host_labels);
  if (!result.finite) return result;
  const Tensor* delta = &loss.backward(batch.labels);
  for (size_t i = net.size(); i-- > 0;) {
    Layer& layer = net.layer(i);
    deltas[i] = delta;
    if (layer.weight()) layer.weight_grads(*delta);
    if (i > 0) delta = &layer.backward_input(*delta, feedback(i, layer));  // no error needed below layer 0
  }
  return result;
}

LossResult LearningRule::evaluate(Network& net, const Batch& batch) {
  return loss_.forward(net.forward(batch.x), batch.labels, batch.host_labels);
}

void LearningRule::log_alignment(Network& net, const Batch& batch, AlignmentLog& log, int epoch, int batch_index) {
  // Backprop's gradient and errors on this batch, through every layer's own W.
  LogSoftmaxNLL bp_loss;
  std::vector<const Tensor*> bp_deltas;
  backward_walk(net, batch, bp_loss, [](size_t, Layer&) { return nullptr; }, bp_deltas);
  std::vector<std::vector<float>> bp_grad(net.size()), bp_delta(net.size());
  for (size_t i = 0; i < net.size(); ++i) {
    if (!net.layer(i).weight()) continue;
    bp_grad[i] = net.layer(i).weight()->grad.to_vector();
    bp_delta[i] = bp_deltas[i]->to_vector();
  }
  compute_gradients(net, batch);
  for (size_t i = 0; i < net.size(); ++i) {
    Layer& layer = net.layer(i);
    if (!layer.weight()) continue;
    const std::string& name = layer.name();
    log.add(epoch, batch_index, name, "update_angle_deg", angle_degrees(layer.weight()->grad.to_vector(), bp_grad[i]));
    if (const Tensor* d = delta_at(i)) log.add(epoch, batch_index, name, "delta_angle_deg", angle_degrees(d->to_vector(), bp_delta[i]));
    if (const Tensor* b = feedback_weight(i, layer)) {
      const std::vector<float> bv = b->to_vector(), wv = layer.weight()->value.to_vector();
      log.add(epoch, batch_index, name, "feedback_angle_deg", angle_degrees(bv, wv));
      log.add(epoch, batch_index, name, "feedback_norm_ratio", norm(bv) / std::max(norm(wv), 1e-30));
    }
  }
}

LossResult BackwardChainRule::train_step(Network& net, const Batch& batch, Optimizer& opt) {
  LossResult result = compute_gradients(net, batch);
  if (!result.finite) return result;  // the caller stops; nothing is updated
  opt.step(net.params());
  update_feedback(net, batch, opt);
  return result;
}

LossResult BackwardChainRule::compute_gradients(Network& net, const Batch& batch) {
  prepare_feedback(net);
  return backward_walk(net, batch, loss_, [this](size_t i, Layer& l) { return feedback_weight(i, l); }, deltas_);
}

}  // namespace ml
