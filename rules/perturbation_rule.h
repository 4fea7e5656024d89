// What weight and node perturbation share: one noise stream (saved for
// --resume), an update that is the rule's gradient estimate handed to the
// optimizer, and alignment logging that draws from a copy of the stream, so
// that logging never changes training.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "base/flags.h"
#include "base/rng.h"
#include "rules/learning_rule.h"

namespace ml {

struct PerturbationOptions {
  float perturbation_sigma;  // noise scale
  int perturbations;         // draws per batch, averaged
  bool antithetic;           // each draw at +xi and -xi
};

// The flags weight-perturbation and node-perturbation declare alike, and their values read back.
inline const std::vector<FlagSpec>& perturbation_flags() {
  static const std::vector<FlagSpec> flags = {
      {"perturbation-sigma", FlagType::Float, "0.001",
       "std of the Gaussian noise on the weights / the conv and fc outputs "
       "(pre-activations)"},
      {"perturbations", FlagType::Int, "1",
       "K noise draws per batch, averaged (node: one forward over K + 1 "
       "copies of the batch; weight: K + 1 forward passes)"},
      {"antithetic", FlagType::Switch, "",
       "evaluate each draw at +noise and -noise (central difference; twice "
       "the perturbed passes)"},
  };
  return flags;
}
inline PerturbationOptions perturbation_options(const FlagValues& f) {
  return {.perturbation_sigma = f.get_float("perturbation-sigma"),
          .perturbations = f.get_int("perturbations"),
          .antithetic = f.get_switch("antithetic")};
}

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
