// What weight and node perturbation share: one noise stream (saved for
// --resume), an update that is the rule's gradient estimate handed to the
// optimizer, and alignment logging that draws from a copy of the stream, so
// that logging never changes training.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "base/rng.h"
#include "rules/learning_rule.h"

namespace ml {

class PerturbationRule : public LearningRule {
 public:
  LossResult train_step(Network& net, const Batch& batch, Optimizer& opt) override {
    const LossResult result = compute_gradients(net, batch);
    if (result.finite) opt.step(net.params());
    return result;
  }
  void log_alignment(Network& net, const Batch& batch, AlignmentLog& log, int epoch, int batch_index) override {
    const Rng saved = rng_;
    LearningRule::log_alignment(net, batch, log, epoch, batch_index);
    rng_ = saved;
  }
  std::vector<std::pair<std::string, Rng*>> rng_streams() override { return {{"noise", &rng_}}; }

 protected:
  Rng rng_{1};
};

}  // namespace ml
