#include "rules/sign_symmetry.h"

namespace ml {

std::unique_ptr<LearningRule> make_sign_symmetry(const RuleOptions& o) {
  return std::make_unique<SignSymmetry>(o.feedback_magnitude);
}

}  // namespace ml
