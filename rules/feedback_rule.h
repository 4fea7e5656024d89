// Base of the rules that send the error back through their own feedback
// weight B_l of W_l's shape (fa, sign-symmetry, weight-mirror, kolen-pollack):
// B lives here, one per weight layer, is saved in the checkpoint as
// "<layer>.feedback" and is initialised deterministically from the seed.
#pragma once
#include "rules/learning_rule.h"

namespace ml {

class FeedbackRule : public BackwardChainRule {
 public:
  void attach(Network& net, uint64_t seed) override;
  const Tensor* feedback_weight(size_t i, Layer&) override { return i < feedback_.size() && feedback_[i].defined() ? &feedback_[i] : nullptr; }
  std::vector<NamedTensor> state() override;

  // For tests: replace layer i's feedback weight (copied).
  void set_feedback(size_t i, const Tensor& b) { feedback_.at(i).copy_from(b); }

 protected:
  // Draws B for one layer; default: W's own init distribution, U(+-1/sqrt(fan_in)).
  virtual Tensor initial_feedback(Layer& layer, Rng& rng);
  std::vector<Tensor> feedback_;  // indexed by layer; undefined for layers without weights
  std::vector<std::string> names_;
};

// fan_in of a weight of shape [out, in, (R, S)]: in * R * S.
int fan_in(const Tensor& w);
int fan_out(const Tensor& w);

}  // namespace ml
