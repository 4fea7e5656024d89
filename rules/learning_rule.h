// The unit of variation: how error (or targets) reaches each layer, and how
// weights and the rule's own extra state change. A rule never reaches into
// another rule; it uses only the layers' primitives. Each rule registers itself
// with its options and defaults (rules/registry.h).
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

}  // namespace ml
