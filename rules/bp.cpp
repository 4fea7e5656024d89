// Backprop: the error goes back through each layer's own weight (W^T).
#include "rules/bp.h"

namespace ml {

std::unique_ptr<LearningRule> make_bp(const RuleOptions&) { return std::make_unique<Backprop>(); }

}  // namespace ml
