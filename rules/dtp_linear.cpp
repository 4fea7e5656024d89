// dtp-linear: difference target propagation with the feedback map G_b of
// target_prop.h, linear around the forward pass (the forward pass's ReLU mask and
// pooling indices, no nonlinearity of its own): the rule dtp was before it got
// Lee et al.'s nonlinear inverse (dtp.cpp), kept so that earlier figures stay
// reproducible. With Q_b = W_b it is backprop, and eta_hat cancels from its update.
// The feedback weights learn
// by the noisy reconstruction loss, block by block,
//   L_b = ||G_b(f_b(h_{b-1} + eps)) + c_b - (h_{b-1} + eps)||^2 / 2,  eps ~ N(0, sigma^2),
// averaged over the batch, so G_b + c_b becomes an approximate inverse of f_b
// around the data (c_b, one per channel, takes the mean and leaves Q_b the
// covariance; the targets' difference correction cancels it). G_b uses the
// ReLU mask and pooling indices of the noisy forward pass f_b(h_{b-1} + eps)
// that it inverts. Targets and forward updates: LayerwiseTargetRule (target_prop.h).
#include <limits>

#include "engine/tensor_ops.h"
#include "kernels/channel_bias/channel_bias.h"
#include "rules/registry.h"
#include "rules/target_prop.h"

namespace ml {
void LinearDTP::attach(Network& net, uint64_t seed) {
  LayerwiseTargetRule::attach(net, seed);
  Shape s = net.input_shape();
  for (size_t b = 0, i = 0; b < blocks_.size(); ++b) {
    for (; i < blocks_[b].first; ++i) s = net.layer(i).output_shape(s);  // s: block b's per-sample input shape
    if (b == 0) continue;
    feedback_bias_[b].name = net.layer(blocks_[b].first).name() + ".feedback_bias";
    feedback_bias_[b].value = Tensor({s[0]}, net.device());
    feedback_bias_[b].grad = Tensor({s[0]}, net.device());
  }
}

std::vector<double> LinearDTP::feedback_gradients(Network& net, bool want_loss,
                                                    const std::vector<bool>& train) {
  std::vector<double> losses(blocks_.size(), std::numeric_limits<double>::quiet_NaN());
  for (size_t b = 1; b < blocks_.size(); ++b) {
    if (!train[b]) continue;
    const Tensor& x = saved_in_[b];
    const float inv_n = 1.0f / static_cast<float>(x.dim(0));
    ensure(work_a_, x.shape(), x.device());
    add_noise(work_a_, &x);  // x + eps
    const Tensor& y = forward_blocks(net, b, b, work_a_);
    const Tensor* u = nullptr;
    const Tensor& z = feedback_down(net, b, y, &u);  // G_b(f_b(x + eps))
    ensure(work_b_, z.shape(), z.device());
    work_b_.copy_from(z);
    int n, c, hw;
    channel_dims(work_b_, n, c, hw);
    const Device device = z.device();
    Param& bias = feedback_bias_[b];
    ML_ON_DEVICE(device, channel_bias_add, work_b_.data(), bias.value.data(), n, c, hw);
    axpby(work_b_, work_a_, -1.0f, 1.0f);  // the residual r
    if (want_loss) {
      const double r = norm(work_b_.to_vector());
      losses[b] = 0.5 * r * r * inv_n;
    }
    axpby(work_b_, work_b_, inv_n, 0.0f);  // dL/dz = r / N
    transposed_weight_grad(net, b, feedback_[b].grad, *u, work_b_);
    ML_ON_DEVICE(device, channel_bias_grad, bias.grad.data(), work_b_.data(), n, c, hw);
  }
  return losses;
}

// As dtp was trained when its map was this one (docs/RESULTS.md, where it is named dtp): at bp's 0.01 a batch
// loss passes 100 within 53 batches of the study's quick preset, and at 0.001 in epoch 2 unclipped; 0.001 with the
// gradient norm clipped at 5 trains. The quick preset skips the feedback pre-training (the feedback weights still
// learn every batch).
ML_REGISTER_RULE(dtp_linear, {.name = "dtp-linear",
                       .order = 85,
                       .training_defaults = {{"lr", "0.001"}, {"clip-grad-norm", "5"}},
                       .flags = target_prop_flags(),
                       .quick_flags = "--feedback-pretrain-epochs 0",
                       .in_default_study = false,
                       .study_cost = 2,
                       .make = [](const FlagValues& f) -> std::unique_ptr<LearningRule> {
                         return std::make_unique<LinearDTP>(target_prop_options(f));
                       }})

}  // namespace ml
