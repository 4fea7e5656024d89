// Kolen-Pollack (Kolen & Pollack 1994; Akrout et al. 2019): the error goes
// back through B, and B receives W's own update (W's gradient, in W's layout)
// through the same optimizer, both with weight decay lambda:
//   W <- W - eta (dW + lambda W),   B <- B - eta (dW + lambda B),
// so B - W shrinks by (1 - eta lambda) every step and B converges to W. With
// --clip-grad-norm the whole step, decay included, is scaled by the clip factor s of
// the one norm over W's and B's gradients: the factor is then 1 - eta s lambda.
#include "engine/tensor_ops.h"
#include "rules/feedback_rule.h"
#include "rules/registry.h"

namespace ml {

class KolenPollack : public FeedbackRule {
 public:
  explicit KolenPollack(float decay) : decay_(decay) {
    if (!(decay > 0.0f)) throw std::invalid_argument("--kp-decay " + std::to_string(decay) + ": must be > 0");
  }
  std::string name() const override { return "kolen-pollack"; }
  nlohmann::json config() const override { return {{"kp_decay", decay_}}; }

  void attach(Network& net, uint64_t seed) override {
    FeedbackRule::attach(net, seed);
    params_.assign(net.size(), Param());
    for (size_t i = 0; i < net.size(); ++i) {
      if (!feedback_[i].defined()) continue;
      params_[i].name = names_[i];
      params_[i].value = feedback_[i];  // shares the buffer: the optimizer updates B in place
      params_[i].grad = Tensor(feedback_[i].shape(), feedback_[i].device());
    }
  }

  LossResult train_step(Network& net, const Batch& batch, Optimizer& opt) override {
    LossResult result = compute_gradients(net, batch);
    if (!result.finite) return result;
    std::vector<Param*> feedback_params;
    for (size_t i = 0; i < net.size(); ++i) {
      if (!feedback_[i].defined()) continue;
      Param& w = *net.layer(i).weight();
      Param& b = params_[i];
      b.grad.copy_from(w.grad);
      axpby(b.grad, b.value, decay_, 1.0f);  // dW + lambda B
      axpby(w.grad, w.value, decay_, 1.0f);  // dW + lambda W
      feedback_params.push_back(&b);
    }
    // One step over W and B together: with --clip-grad-norm they share one norm and one scale, so B - W
    // still shrinks by a single factor (1 - eta s lambda, s the clip scale); clipped apart, W's and B's
    // different scales would leave a share of dW in B - W and B would not converge to W.
    std::vector<Param*> all = net.params();
    all.insert(all.end(), feedback_params.begin(), feedback_params.end());
    opt.step(all);
    return result;
  }

 private:
  float decay_;
  std::vector<Param> params_;
};

ML_REGISTER_RULE(kolen_pollack,
                 {.name = "kolen-pollack",
                  .order = 70,
                  .training_defaults = {{"lr", "0.01"}},
                  .flags = {{"kp-decay", FlagType::Float, "0.001",
                             "weight decay lambda on W and B (B - W shrinks by 1 - lr*lambda per step)"}},
                  .make = [](const FlagValues& f) -> std::unique_ptr<LearningRule> {
                    return std::make_unique<KolenPollack>(f.get_float("kp-decay"));
                  }})

}  // namespace ml
