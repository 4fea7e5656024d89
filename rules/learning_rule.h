// The unit of variation: how error (or targets) reaches each layer, and how
// weights and the rule's own extra state change. A rule never reaches into
// another rule; it uses only the layers' primitives.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/batch.h"
#include "engine/checkpoint.h"
#include "engine/loss.h"
#include "engine/network.h"
#include "engine/optimizer.h"
#include "base/rng.h"
#include "rules/alignment.h"

namespace ml {

// Every rule's hyperparameters (flags of ml-train, stored in config.json).
// Each rule reads only its own.
struct RuleOptions {
  std::string feedback_magnitude = "uniform";  // sign-symmetry: uniform | random | batchwise
  float kp_decay = 1e-3f;       // kolen-pollack: weight decay on W and B (B - W shrinks by it)
  // weight-mirror's eta_B, lambda_B and probe count: one value, or one per layer with a feedback weight
  std::vector<float> mirror_lr = {1e-3f};     // eta_B
  std::vector<float> mirror_decay = {1e-3f};  // lambda_B (B -> (mirror_lr / mirror_decay) W)
  float mirror_noise = 0.1f;    // weight-mirror: probe x ~ mirror_noise * U(-0.5, 0.5)
  std::vector<int> mirror_samples = {32};     // probe samples per batch (at least; see mirror_fan_in_ratio)
  float mirror_fan_in_ratio = 0.0f;  // weight-mirror: at least ratio x fan-in probe pairs per layer and step
  int mirror_steps = 1000;      // weight-mirror: mirror-only steps before training (the "mirror phase")
  // target propagation (dtp, ddtp, ldrl); defaults: REFERENCES.md "Target propagation"
  float tp_eta_hat = 0.06f;     // output target t_L = h_L - eta_hat * dl/dh_L (per sample)
  float tp_noise = 0.09f;       // sigma of the feedback losses' Gaussian noise
  // learning rate of the feedback weights Q: one for every feedback map, or one per map from the bottom up
  std::vector<float> feedback_lr = {1.6e-4f};
  std::string feedback_optimizer = "adam";  // sgd | adam, for the feedback weights
  float feedback_weight_decay = 0.0f;       // L2 on Q (for ddtp: the regulariser of the DRL)
  // feedback updates per batch: one value for every feedback map, or one per map from the bottom up
  std::vector<int> feedback_steps = {1};
  int feedback_pretrain_epochs = 1;  // feedback-only passes over the training set before training
  int inference_steps = 10;     // pc: relaxation steps T of the value nodes per batch
  float inference_lr = 0.5f;    // pc: step size gamma of each relaxation step
  float pc_beta = 0.1f;         // pc: weight of the loss as the top energy term (the output's nudge)
  // weight-perturbation, node-perturbation: noise scale, draws per batch, +-xi pairs
  float perturbation_sigma = 1e-3f;
  int perturbations = 1;
  bool antithetic = false;
};

class LearningRule {
 public:
  virtual ~LearningRule() = default;
  virtual std::string name() const = 0;

  // Creates the rule's extra state (feedback weights, inverses, ...) for this
  // network, drawn deterministically from seed, on the network's device.
  virtual void attach(Network& /*net*/, uint64_t /*seed*/) {}

  // Forward, error or targets, and every update of one minibatch.
  virtual LossResult train_step(Network& net, const Batch& batch, Optimizer& opt) = 0;

  // Forward, loss and this rule's update direction written into every param's
  // grad (the true gradient for bp); nothing is updated. Records, per layer,
  // the error the layer received (delta_at).
  virtual LossResult compute_gradients(Network& net, const Batch& batch) = 0;

  // Loss and accuracy without learning (the test set). Default: net.forward.
  virtual LossResult evaluate(Network& net, const Batch& batch);

  // Per weight layer: the angle between this rule's update and backprop's
  // gradient on the same batch, the feedback weight against W, and the angle
  // between the error this rule sent and backprop's. Leaves grads clobbered.
  virtual void log_alignment(Network& net, const Batch& batch, AlignmentLog& log, int epoch, int batch_index);

  // Extra tensors saved in the checkpoint next to the weights ("fc1.feedback", ...).
  virtual std::vector<NamedTensor> state() { return {}; }

  // What else changes while training, so that ml-train --resume continues bit
  // for bit (state() is restored in place into the tensors it returns):
  // every random stream the rule draws from after attach, by a stable name;
  // every optimizer the rule owns (not the trainer's, which is saved anyway);
  // and plain values (counters, step sizes, text), restored before training goes on.
  virtual std::vector<std::pair<std::string, Rng*>> rng_streams() { return {}; }
  virtual std::vector<std::pair<std::string, Optimizer*>> own_optimizers() { return {}; }
  virtual nlohmann::json scalar_state() const { return nlohmann::json::object(); }
  virtual void restore_scalar_state(const nlohmann::json& /*s*/) {}

  // The rule's hyperparameters, stored in config.json.
  virtual nlohmann::json config() const { return nlohmann::json::object(); }

  // Extra test-set tables beside metrics.csv, as {file name, whole CSV text}: the
  // trainer calls it after each epoch's test pass (whose evaluate calls may have
  // collected them) and rewrites each file (bptt: cycles.csv, accuracy per PCN cycle).
  virtual std::vector<std::pair<std::string, std::string>> epoch_tables(int /*epoch*/) { return {}; }

  // Feedback-only passes over the training set before the first epoch (target
  // propagation's feedback pre-training): the trainer calls pretrain_step on
  // every batch of that many passes. The forward weights do not change.
  virtual int pretrain_epochs() const { return 0; }
  virtual void pretrain_step(Network& /*net*/, const Batch& /*batch*/) {}

  // The feedback weight used for layer i (W's shape), or nullptr (none, or W itself).
  virtual const Tensor* feedback_weight(size_t /*layer_index*/, Layer& /*layer*/) { return nullptr; }

  // The error (dLoss/d output) layer i received in the last compute_gradients, or nullptr.
  const Tensor* delta_at(size_t i) const { return i < deltas_.size() ? deltas_[i] : nullptr; }

 protected:
  LogSoftmaxNLL loss_;
  std::vector<const Tensor*> deltas_;
};

// The backprop family (bp, fa, sign symmetry, weight mirror, Kolen-Pollack):
// one walk backwards through the layers in which the rule only chooses the
// weight that carries the error through each layer, then optional updates of
// its own feedback weights.
class BackwardChainRule : public LearningRule {
 public:
  LossResult train_step(Network& net, const Batch& batch, Optimizer& opt) override;
  LossResult compute_gradients(Network& net, const Batch& batch) override;

 protected:
  // Before the backward walk (sign symmetry refreshes sign(W) here).
  virtual void prepare_feedback(Network& /*net*/) {}
  // Called after the weights were updated, with the batch just used.
  virtual void update_feedback(Network& /*net*/, const Batch& /*batch*/, Optimizer& /*opt*/) {}
};

// The backward walk itself: errors go back through feedback(i) (nullptr = W),
// grads are written, deltas[i] is the error at layer i's output.
using FeedbackChooser = std::function<const Tensor*(size_t, Layer&)>;
LossResult backward_walk(Network& net, const Batch& batch, LogSoftmaxNLL& loss, const FeedbackChooser& feedback,
                         std::vector<const Tensor*>& deltas);

// "bp", ... -> a new rule. Throws std::invalid_argument("--rule 'x': unknown; known: ...").
std::unique_ptr<LearningRule> make_rule(const std::string& name, const RuleOptions& options = {});
std::vector<std::string> rule_names();

}  // namespace ml
