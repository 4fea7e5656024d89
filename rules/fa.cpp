// Feedback alignment (Lillicrap et al. 2016): the error goes back through a
// fixed random B_l of W_l's shape (a transposed convolution with B for conv
// layers); W learns as usual, B never changes.
#include "rules/feedback_rule.h"

namespace ml {

class FeedbackAlignment : public FeedbackRule {
 public:
  std::string name() const override { return "fa"; }
  nlohmann::json config() const override { return {{"feedback_init", "uniform(+-1/sqrt(fan_in)), fixed"}}; }
};

std::unique_ptr<LearningRule> make_fa(const RuleOptions&) { return std::make_unique<FeedbackAlignment>(); }

}  // namespace ml
