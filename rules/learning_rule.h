// The unit of variation: how error (or targets) reaches each layer, and how
// weights and the rule's own extra state change. A rule never reaches into
// another rule; it uses only the layers' primitives.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/batch.h"
#include "engine/checkpoint.h"
#include "engine/loss.h"
#include "engine/network.h"
#include "engine/optimizer.h"

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

  // Loss and accuracy without learning (the test set). Default: net.forward.
  virtual LossResult evaluate(Network& net, const Batch& batch);

  // Extra tensors saved in the checkpoint next to the weights ("fc1.feedback", ...).
  virtual std::vector<NamedTensor> state() { return {}; }

  // The rule's hyperparameters, stored in config.json.
  virtual nlohmann::json config() const { return nlohmann::json::object(); }

 protected:
  LogSoftmaxNLL loss_;
};

// The backprop family (bp, fa, sign symmetry, weight mirror, Kolen-Pollack):
// one walk backwards through the layers in which the rule only chooses the
// weight that carries the error through each layer, then optional updates of
// its own feedback weights.
class BackwardChainRule : public LearningRule {
 public:
  LossResult train_step(Network& net, const Batch& batch, Optimizer& opt) override;

  // Forward, loss and the backward walk: every param's grad is overwritten with
  // this rule's update direction (the true gradient for bp). No update is made.
  LossResult compute_gradients(Network& net, const Batch& batch);

 protected:
  // The weight that sends the error back through layer i; nullptr = the
  // layer's own weight (exact backprop).
  virtual const Tensor* feedback_weight(size_t /*layer_index*/, Layer& /*layer*/) { return nullptr; }
  // Called after the weights were updated, with the batch just used.
  virtual void update_feedback(Network& /*net*/, const Batch& /*batch*/, Optimizer& /*opt*/) {}
};

// "bp", ... -> a new rule. Throws std::invalid_argument("--rule 'x': unknown; known: ...").
std::unique_ptr<LearningRule> make_rule(const std::string& name);
std::vector<std::string> rule_names();

}  // namespace ml
