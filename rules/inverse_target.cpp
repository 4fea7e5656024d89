// The nonlinear inverses of dtp and ldrl, their targets and the forward
// update (see inverse_target.h).
#include "rules/inverse_target.h"

#include "engine/layers/activation.h"
#include "engine/tensor_ops.h"
#include "kernels/channel_bias/channel_bias.h"
#include "kernels/relu/relu.h"

namespace ml {
void InverseTargetRule::attach(Network& net, uint64_t seed) {
  TargetPropRule::attach(net, seed);
  relu_.assign(blocks_.size(), false);
  Shape s = net.input_shape();
  for (size_t b = 0, i = 0; b < blocks_.size(); ++b) {
    for (; i < blocks_[b].first; ++i) s = net.layer(i).output_shape(s);  // s: block b's per-sample input shape
    if (b == 0) continue;
    for (size_t j = blocks_[b - 1].first; j <= blocks_[b - 1].last; ++j) {
      if (dynamic_cast<ReLU*>(&net.layer(j))) relu_[b] = true;
    }
    feedback_bias_[b].name = net.layer(blocks_[b].first).name() + ".feedback_bias";
    feedback_bias_[b].value = Tensor({s[0]}, net.device());
    feedback_bias_[b].grad = Tensor({s[0]}, net.device());
  }
}

Shape InverseTargetRule::feedback_shape(Network& net, size_t b) {
  if (b == 0) return {};  // nothing needs a target below the first block
  return net.layer(blocks_[b].first).weight()->value.shape();
}

const Tensor* InverseTargetRule::feedback_weight(size_t i, Layer&) {
  for (size_t b = 1; b < blocks_.size(); ++b) {
    if (blocks_[b].first == i) return &feedback_[b].value;
  }
  return nullptr;
}

void InverseTargetRule::inverse(Network& net, size_t b, const Tensor& v, Tensor& z, const Tensor** u) {
  // P_b: back through the block's max pooling (its forward indices) and flatten; its ReLU is skipped
  const Tensor* p = &v;
  for (size_t i = blocks_[b].last; i > blocks_[b].first; --i) {
    Layer& l = net.layer(i);
    if (!dynamic_cast<ReLU*>(&l)) p = &l.backward_input(*p);
  }
  if (u) *u = p;
  const Tensor& a = net.layer(blocks_[b].first).backward_input(*p, &feedback_.at(b).value);  // Q_b^T(P_b v)
  ensure(z, a.shape(), a.device());
  z.copy_from(a);
  int n, c, hw;
  channel_dims(z, n, c, hw);
  ML_ON_DEVICE(z.device(), channel_bias_add, z.data(), feedback_bias_[b].value.data(), n, c, hw);
  if (relu_[b]) ML_ON_DEVICE(z.device(), relu_forward, z.data(), z.data(), z.numel());
}

void InverseTargetRule::inverse_grads(Network& net, size_t b, const Tensor& u, const Tensor& z, const Tensor& dz,
                                      bool add) {
  // da = dz f_b'(a): with f_b = ReLU, a > 0 exactly where z = relu(a) > 0
  ensure(da_, dz.shape(), dz.device());
  if (relu_[b]) ML_ON_DEVICE(dz.device(), relu_backward, da_.data(), dz.data(), z.data(), dz.numel());
  else da_.copy_from(dz);
  Param& q = feedback_[b];
  Param& c = feedback_bias_[b];
  ensure(dq_, q.grad.shape(), q.grad.device());
  ensure(dc_, c.grad.shape(), c.grad.device());
  transposed_weight_grad(net, b, add ? dq_ : q.grad, u, da_);
  int n, ch, hw;
  channel_dims(da_, n, ch, hw);
  ML_ON_DEVICE(da_.device(), channel_bias_grad, (add ? dc_ : c.grad).data(), da_.data(), n, ch, hw);
  if (add) {
    axpby(q.grad, dq_, 1.0f, 1.0f);
    axpby(c.grad, dc_, 1.0f, 1.0f);
  }
}

void InverseTargetRule::target_steps(Network& net, const Tensor& e) {
  const size_t top = blocks_.size() - 1;
  steps_.resize(blocks_.size());
  // t_L - h_L = -eta_hat * dl_n/dh_L per sample = -eta_hat N e
  ensure(steps_[top], e.shape(), e.device());
  steps_[top].copy_from(e);
  axpby(steps_[top], steps_[top], -o_.tp_eta_hat * static_cast<float>(e.dim(0)), 0.0f);
  for (size_t b = top; b > 0; --b) {
    const Tensor& h = net.layer(blocks_[b].last).output();
    ensure(work_a_, h.shape(), h.device());
    work_a_.copy_from(h);
    axpby(work_a_, steps_[b], 1.0f, 1.0f);  // t_b
    inverse(net, b, work_a_, inv_t_);
    inverse(net, b, h, inv_h_);
    // t_{b-1} - h_{b-1} = g_b(t_b) - g_b(h_b)
    ensure(steps_[b - 1], inv_t_.shape(), inv_t_.device());
    steps_[b - 1].copy_from(inv_t_);
    axpby(steps_[b - 1], inv_h_, -1.0f, 1.0f);
  }
}

LossResult InverseTargetRule::compute_gradients(Network& net, const Batch& batch) {
  deltas_.assign(net.size(), nullptr);
  LossResult result = loss_.forward(net.forward(batch.x), batch.labels, batch.host_labels);
  if (!result.finite) return result;
  const Tensor& e = loss_.backward(batch.labels);
  target_steps(net, e);
  // Each block's local loss ||h_b - t_b||^2 / (2 eta_hat N): its gradient at h_b is
  // -(t_b - h_b) / (eta_hat N), e itself for the output block; it reaches W_b through
  // the block's own ReLU mask, pooling and flatten of the forward pass.
  const size_t top = blocks_.size() - 1;
  const float scale = -1.0f / (o_.tp_eta_hat * static_cast<float>(e.dim(0)));
  grad_h_.resize(blocks_.size());
  for (size_t b = 0; b <= top; ++b) {
    const Tensor* g = &e;
    if (b < top) {
      ensure(grad_h_[b], steps_[b].shape(), steps_[b].device());
      grad_h_[b].copy_from(steps_[b]);
      axpby(grad_h_[b], grad_h_[b], scale, 0.0f);
      g = &grad_h_[b];
    }
    const Tensor& u = to_weight_output(net, b, *g);
    Layer& layer = net.layer(blocks_[b].first);
    deltas_[blocks_[b].first] = &u;
    layer.weight_grads(u);
  }
  return result;
}

std::vector<std::vector<float>> InverseTargetRule::targets(Network& net, const Batch& batch) {
  loss_.forward(net.forward(batch.x), batch.labels, batch.host_labels);
  target_steps(net, loss_.backward(batch.labels));
  std::vector<std::vector<float>> t(blocks_.size());
  for (size_t b = 0; b < blocks_.size(); ++b) {
    const Tensor& h = net.layer(blocks_[b].last).output();
    ensure(work_a_, h.shape(), h.device());
    work_a_.copy_from(h);
    axpby(work_a_, steps_[b], 1.0f, 1.0f);
    t[b] = work_a_.to_vector();
  }
  return t;
}

}  // namespace ml
