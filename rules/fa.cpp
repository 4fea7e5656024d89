// Feedback alignment (Lillicrap et al. 2016): the error goes back through a
// fixed random B_l of W_l's shape (a transposed convolution with B for conv
// layers); W learns as usual, B never changes.
#include "rules/feedback_rule.h"
#include "rules/registry.h"

namespace ml {

class FeedbackAlignment : public FeedbackRule {
 public:
  std::string name() const override { return "fa"; }
  nlohmann::json config() const override { return {{"feedback_init", "uniform(+-1/sqrt(fan_in)), fixed"}}; }
};

// The feedback-alignment family diverges at bp's 0.01 on the seed LeNet (docs/RESULTS.md).
ML_REGISTER_RULE(fa, {.name = "fa",
                      .order = 30,
                      .training_defaults = {{"lr", "0.001"}},
                      .make = [](const FlagValues&) -> std::unique_ptr<LearningRule> {
                        return std::make_unique<FeedbackAlignment>();
                      }})

}  // namespace ml
