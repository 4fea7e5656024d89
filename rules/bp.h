#pragma once
#include "rules/learning_rule.h"

namespace ml {

class Backprop : public BackwardChainRule {
 public:
  std::string name() const override { return "bp"; }
};

}  // namespace ml
