// The rule registry: a new rule is one file in rules/ plus one line here.
#include <functional>
#include <stdexcept>

#include "rules/bp.h"
#include "rules/learning_rule.h"

namespace ml {
namespace {

struct RuleEntry {
  const char* name;
  std::function<std::unique_ptr<LearningRule>()> make;
};

const std::vector<RuleEntry>& registry() {
  static const std::vector<RuleEntry> rules = {
      {"bp", make_bp},
  };
  return rules;
}

}  // namespace

std::vector<std::string> rule_names() {
  std::vector<std::string> names;
  for (const auto& r : registry()) names.push_back(r.name);
  return names;
}

std::unique_ptr<LearningRule> make_rule(const std::string& name) {
  for (const auto& r : registry()) {
    if (name == r.name) return r.make();
  }
  std::string known;
  for (const auto& n : rule_names()) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument("--rule '" + name + "': unknown rule (known: " + known + ")");
}

}  // namespace ml
