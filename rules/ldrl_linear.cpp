// ldrl-linear: L-DRL (Ernoult et al. 2022, "Towards scaling difference target
// propagation by learning backprop targets") through the feedback map G_b of
// target_prop.h, linear around the forward pass: the rule ldrl was before it got
// the nonlinear inverse (ldrl.cpp), kept so that earlier figures stay reproducible,
// one feedback step per batch by default as then. Each block's feedback weights learn that
// G_b's Jacobian is f_b's transpose, from noise alone, with
//   L_b = ( -<d, G_b(f_b(x + d)) - G_b(f_b(x))> + ||G_b(y + e) - G_b(y)||^2 / 2 ) / sigma^2
// x = h_{b-1}, y = f_b(x), d and e ~ N(0, sigma^2) (averaged over the batch).
// Its expectation is ||J_G - J_f^T||_F^2 / 2 minus a constant, so the targets
// t_{b-1} = h_{b-1} + G_b(t_b) - G_b(h_b) become backprop's targets. For a
// conv block G_b is a transposed convolution through the unpooling indices
// and ReLU mask of the forward pass at x, which is what makes DTP work in
// conv nets. Dividing by sigma^2 (and by a conv layer's output positions) makes
// --feedback-lr independent of the noise level and of the layer.
#include <limits>

#include "engine/tensor_ops.h"
#include "rules/registry.h"
#include "rules/target_prop.h"

namespace ml {

std::vector<double> LinearLDRL::feedback_gradients(Network& net, bool want_loss,
                                                    const std::vector<bool>& train) {
  std::vector<double> losses(blocks_.size(), std::numeric_limits<double>::quiet_NaN());
  const double s2 = static_cast<double>(o_.tp_noise) * o_.tp_noise;
  for (size_t b = 1; b < blocks_.size(); ++b) {
    if (!train[b]) continue;
    const Tensor& x = saved_in_[b];
    // Averaged over samples and, for a conv layer, over its output positions: the
    // gradient sums over both, and SGD's --feedback-lr then means the same for every layer.
    const Tensor& out = net.layer(blocks_[b].first).output();
    const double positions = static_cast<double>(out.numel()) / (static_cast<double>(out.dim(0)) * out.dim(1));
    const float c = static_cast<float>(1.0 / (x.dim(0) * positions * s2));
    ensure(work_a_, x.shape(), x.device());
    add_noise(work_a_, &x);  // x + d
    const Tensor& y_noisy = forward_blocks(net, b, b, work_a_);
    ensure(work_b_, y_noisy.shape(), y_noisy.device());
    work_b_.copy_from(y_noisy);
    const Tensor& y = forward_blocks(net, b, b, x);  // G_b now uses the forward pass at x
    axpby(work_b_, y, -1.0f, 1.0f);                  // f(x + d) - f(x)
    const Tensor* u = nullptr;
    const Tensor& z1 = feedback_down(net, b, work_b_, &u);  // G(f(x + d)) - G(f(x))
    ensure(work_c_, x.shape(), x.device());
    work_c_.copy_from(work_a_);
    axpby(work_c_, x, c, -c);  // dL/dz1 = -d / (N sigma^2)
    double loss = 0;
    if (want_loss) {
      const std::vector<float> g = work_c_.to_vector(), z = z1.to_vector();
      for (size_t i = 0; i < g.size(); ++i) loss += double(g[i]) * z[i];
    }
    transposed_weight_grad(net, b, feedback_[b].grad, *u, work_c_);

    ensure(work_b_, y.shape(), y.device());
    add_noise(work_b_, nullptr);                            // e
    const Tensor& z2 = feedback_down(net, b, work_b_, &u);  // G(y + e) - G(y)
    ensure(work_c_, z2.shape(), z2.device());
    work_c_.copy_from(z2);
    if (want_loss) {
      const double r = norm(work_c_.to_vector());
      loss += 0.5 * c * r * r;
    }
    axpby(work_c_, work_c_, c, 0.0f);  // dL/dz2 = z2 / (N sigma^2)
    Tensor& grad = feedback_[b].grad;
    ensure(dq_, grad.shape(), grad.device());
    transposed_weight_grad(net, b, dq_, *u, work_c_);
    axpby(grad, dq_, 1.0f, 1.0f);
    if (want_loss) losses[b] = loss;
  }
  return losses;
}

// As ldrl was trained when its map was this one (docs/RESULTS.md, where it is named ldrl): NaN at 0.01 within 7
// epochs (0.003 with a cosine in epoch 3); 0.0025 lowered by a cosine with the gradient norm clipped at 5 was its
// best 15-epoch setting.
ML_REGISTER_RULE(ldrl_linear, {.name = "ldrl-linear",
                        .order = 105,
                        .training_defaults = {{"lr", "0.0025"}, {"lr-schedule", "cosine"}, {"clip-grad-norm", "5"}},
                        .flags = target_prop_flags(),
                        .quick_flags = "--feedback-pretrain-epochs 0",
                        .in_default_study = false,
                        .study_cost = 2,
                        .make = [](const FlagValues& f) -> std::unique_ptr<LearningRule> {
                          return std::make_unique<LinearLDRL>(target_prop_options(f));
                        }})

}  // namespace ml
