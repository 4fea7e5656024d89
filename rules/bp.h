#pragma once
#include "rules/learning_rule.h"

namespace ml {

class Backprop : public BackwardChainRule {
 public:
  std::string name() const override { return "bp"; }
};

std::unique_ptr<LearningRule> make_bp(const RuleOptions& = {});

}  // namespace ml
