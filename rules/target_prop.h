// Target propagation: dtp (Lee et al. 2015) and ldrl (Ernoult et al. 2022,
// layer-wise difference reconstruction loss) through learned nonlinear inverses
// (inverse_target.h); ddtp (Meulemans et al. 2020, DDTP-linear with the
// difference reconstruction loss); dtp-linear and ldrl-linear, the earlier dtp
// and ldrl, whose feedback map is linear around the forward pass (below).
// Formulas and defaults: REFERENCES.md "Target propagation".
//
// Blocks. The network is cut into blocks, each a weight layer followed by the
// parameter-free layers up to the next weight layer (conv-relu,
// conv-relu-maxpool-flatten, fc-relu, fc); h_b is block b's output, h_{-1}
// the first weight layer's input, h_L the logits. Each block's forward weights
// minimise the local loss ||h_b - t_b||^2 / (2 eta_hat N) through W_b only.
// The 1/(eta_hat N) makes the output layer's update exactly backprop's, so
// --lr means what it means for bp.
//
// Feedback maps of dtp-linear and ldrl-linear (LayerwiseTargetRule). The
// feedback path of block b from h_b down to h_{b-1} is
//   G_b(v) = Q_b^T( M_b unpool_b(v) )
// where M_b and unpool_b are the block's own ReLU mask and max-pooling
// indices from the forward pass (the inverse's nonlinearity is the forward
// pass's: G_b is linear around the forward pass) and Q_b^T is the transposed
// op of the weight layer (transposed conv for a conv layer) with the learned
// Q_b of W_b's shape. Q_b = W_b gives backprop's path; for an invertible linear
// layer Q_b = W_b^{-T} gives the exact inverse. The difference correction
// t_{b-1} = h_{b-1} + G_b(t_b) - G_b(h_b) = h_{b-1} + G_b(t_b - h_b)
// cancels the inverse's bias c_b (dtp-linear learns one for its reconstruction
// loss; the targets never need it), and eta_hat cancels from the update: the
// error e = dl/dh_L walks down through the G_b as backprop's through the W_b.
#pragma once
#include <memory>
#include <vector>

#include "base/flags.h"
#include "rules/learning_rule.h"

namespace ml {

// [N, C, ...] -> (N, C, positions per channel): the shape a per-channel bias (c_b) is applied over.
void channel_dims(const Tensor& t, int& N, int& C, int& HW);

// The family's options (flags of every target-propagation rule alike); defaults: REFERENCES.md "Target propagation".
struct TargetPropOptions {
  float tp_eta_hat;  // output target t_L = h_L - eta_hat * dl/dh_L (per sample)
  float tp_noise;    // sigma of the feedback losses' Gaussian noise
  // learning rate of the feedback weights Q: one for every feedback map, or one per map from the bottom up
  std::vector<float> feedback_lr;
  std::string feedback_optimizer;  // sgd | adam, for the feedback weights
  float feedback_weight_decay;     // L2 on Q (for ddtp: the regulariser of the DRL)
  // feedback updates per batch: one value for every feedback map, or one per map from the bottom up
  std::vector<int> feedback_steps;
  int feedback_pretrain_epochs;  // feedback-only passes over the training set before training
};

// The flags each target-propagation rule declares (its default --feedback-steps given), and their values read back.
std::vector<FlagSpec> target_prop_flags(const std::string& feedback_steps_default = "1");
TargetPropOptions target_prop_options(const FlagValues& f);

class TargetPropRule : public LearningRule {
 public:
  explicit TargetPropRule(const TargetPropOptions& o);

  void attach(Network& net, uint64_t seed) override;
  LossResult train_step(Network& net, const Batch& batch, Optimizer& opt) override;
  int pretrain_epochs() const override { return o_.feedback_pretrain_epochs; }
  void pretrain_step(Network& net, const Batch& batch) override;
  void log_alignment(Network& net, const Batch& batch, AlignmentLog& log, int epoch, int batch_index) override;
  std::vector<NamedTensor> state() override;
  std::vector<std::pair<std::string, Rng*>> rng_streams() override {
    return {{"noise", &noise_rng_}, {"log", &log_rng_}};
  }
  std::vector<std::pair<std::string, Optimizer*>> own_optimizers() override { return {{"feedback", feedback_opt_.get()}}; }
  nlohmann::json config() const override;

  struct Block {
    size_t first, last;  // layer indices: first is the weight layer, last the block's last layer
  };
  size_t num_blocks() const { return blocks_.size(); }
  const Block& block(size_t b) const { return blocks_.at(b); }
  // Q_b (undefined for blocks without feedback weights), and its gradient of the last feedback loss.
  Tensor& feedback(size_t b) { return feedback_.at(b).value; }
  Tensor& feedback_grad(size_t b) { return feedback_.at(b).grad; }

  // The targets t_b of every block (host copies; empty where the rule sets none) for this batch.
  virtual std::vector<std::vector<float>> targets(Network& net, const Batch& batch) = 0;
  // Each block's feedback loss (mean per sample) on this batch with one noise
  // draw; NaN where the block has no feedback weights. Nothing is updated.
  std::vector<double> feedback_losses(Network& net, const Batch& batch);

 protected:
  // The shape of Q_b for block b, or {} when block b has no feedback weights.
  virtual Shape feedback_shape(Network& net, size_t b) = 0;
  // Q_b's gradient of the feedback loss into feedback_[b].grad for every block
  // with feedback and train[b], from the block inputs saved_in_ (the last forward
  // pass). Returns the losses (mean per sample) when want_loss, else NaNs.
  virtual std::vector<double> feedback_gradients(Network& net, bool want_loss, const std::vector<bool>& train) = 0;
  // Extra per-layer alignment rows (ddtp: the angle to the Gauss-Newton target).
  virtual void extra_alignment(Network&, const Batch&, AlignmentLog&, int /*epoch*/, int /*batch_index*/) {}

  // --- helpers on the blocks, all on the network's device ---
  // Runs blocks from..to (inclusive) forward from x; returns the last output (a layer buffer).
  const Tensor& forward_blocks(Network& net, size_t from, size_t to, const Tensor& x);
  // v at h_b -> the error at the output of block b's weight layer, back through
  // its parameter-free layers (ReLU mask, unpooling, unflatten) of the last forward.
  const Tensor& to_weight_output(Network& net, size_t b, const Tensor& v);
  // G_b(v): to_weight_output, then the transposed weight op with Q_b; *u gets the weight output's error.
  const Tensor& feedback_down(Network& net, size_t b, const Tensor& v, const Tensor** u = nullptr);
  // dq = the gradient, with respect to Q_b, of <dz, Q_b^T(u)> (the weight gradient of the transposed op).
  void transposed_weight_grad(Network& net, size_t b, Tensor& dq, const Tensor& u, const Tensor& dz);
  // y = x + noise_sigma * N(0, 1), x may be null; drawn from the active noise stream.
  void add_noise(Tensor& y, const Tensor* x);
  // Copies every block's input (h_{b-1}) of the last forward pass into saved_in_.
  void save_block_inputs(Network& net);
  // This batch's feedback updates: block b's feedback weights get block_steps_[b] optimizer steps.
  void feedback_updates(Network& net);

  TargetPropOptions o_;
  std::vector<Block> blocks_;
  std::vector<Param> feedback_;   // per block; value undefined where the block has none
  std::vector<Param> feedback_bias_;  // per block: dtp's c_b, one per channel (feature) of h_{b-1}; else undefined
  std::vector<Tensor> saved_in_;  // per block: its input h_{b-1} from the last forward pass
  std::vector<int> block_steps_;  // per block: feedback updates per batch (0 where it has no feedback weights)
  std::vector<float> block_lr_;   // per block: the feedback weights' learning rate
  std::unique_ptr<Optimizer> feedback_opt_;
  Rng noise_rng_{1}, log_rng_{2};
  Rng* rng_ = &noise_rng_;  // log_alignment draws from its own stream, so logging never changes training
  size_t classes_ = 0;
};

// dtp-linear and ldrl-linear: targets go down block by block through G_b.
class LayerwiseTargetRule : public TargetPropRule {
 public:
  using TargetPropRule::TargetPropRule;
  // The local losses' gradients: the error walks down through G_b (see the header comment).
  LossResult compute_gradients(Network& net, const Batch& batch) override;
  std::vector<std::vector<float>> targets(Network& net, const Batch& batch) override;
  const Tensor* feedback_weight(size_t i, Layer&) override;

 protected:
  Shape feedback_shape(Network& net, size_t b) override;  // W_b's shape for every block but the first
  Tensor work_a_, work_b_, work_c_, dq_;
};

// dtp-linear: Q_b and c_b learn G_b(f_b(x + eps)) + c_b ~ x + eps,
// the noisy reconstruction loss ||G_b(f_b(h_{b-1} + eps)) + c_b - (h_{b-1} + eps)||^2 / 2.
class LinearDTP : public LayerwiseTargetRule {
 public:
  using LayerwiseTargetRule::LayerwiseTargetRule;
  std::string name() const override { return "dtp-linear"; }
  void attach(Network& net, uint64_t seed) override;  // adds the inverse's bias c_b (zeros)

 protected:
  std::vector<double> feedback_gradients(Network& net, bool want_loss, const std::vector<bool>& train) override;
};

// ldrl-linear: Q_b learns J_G = J_f^T by
//   (-<d, G(f(x + d)) - G(f(x))> + ||G(y + e) - G(y)||^2 / 2) / sigma^2,
// d and e ~ N(0, sigma^2): its expectation is ||J_G - J_f^T||_F^2 / 2 + const.
class LinearLDRL : public LayerwiseTargetRule {
 public:
  using LayerwiseTargetRule::LayerwiseTargetRule;
  std::string name() const override { return "ldrl-linear"; }

 protected:
  std::vector<double> feedback_gradients(Network& net, bool want_loss, const std::vector<bool>& train) override;
};

// DDTP-linear: every hidden block's target comes from the output directly,
// t_b = h_b + (t_L - h_L) Q_b with Q_b [classes, size of h_b]; Q_b learns by
// the difference reconstruction loss
//   ||(f_{L,b}(h_b + eps) - f_{L,b}(h_b)) Q_b - eps||^2 / (2 sigma^2)
// whose minimiser is the pseudo-inverse of d h_L / d h_b (Gauss-Newton targets).
// The last block gets the output error itself.
class DirectDTP : public TargetPropRule {
 public:
  using TargetPropRule::TargetPropRule;
  std::string name() const override { return "ddtp"; }
  LossResult compute_gradients(Network& net, const Batch& batch) override;
  std::vector<std::vector<float>> targets(Network& net, const Batch& batch) override;

  // Angle (degrees) between the DDTP target steps t_b - h_b and the Gauss-Newton
  // steps -J_b^+ (dl/dh_L) (J_b = d h_L / d h_b per sample, one pseudo-inverse
  // per sample) over this batch, for hidden block b. Host double; for logs and tests.
  double gauss_newton_angle(Network& net, const Batch& batch, size_t b);

 protected:
  Shape feedback_shape(Network& net, size_t b) override;
  std::vector<double> feedback_gradients(Network& net, bool want_loss, const std::vector<bool>& train) override;
  void extra_alignment(Network& net, const Batch& batch, AlignmentLog& log, int epoch, int batch_index) override;
  // d = e Q_b in h_b's shape.
  void direct_error(size_t b, const Tensor& e, Tensor& d);

 private:
  std::vector<Tensor> direct_;  // per block: e Q_b
  Tensor base_out_, noisy_in_, delta_out_, residual_;
};

}  // namespace ml
