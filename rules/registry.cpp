// The rule registry: a new rule is one file in rules/ plus one line here.
#include <functional>
#include <stdexcept>

#include "rules/bp.h"
#include "rules/bptt.h"
#include "rules/dfa.h"
#include "rules/learning_rule.h"

namespace ml {

std::unique_ptr<LearningRule> make_fa(const RuleOptions& o);
std::unique_ptr<LearningRule> make_sign_symmetry(const RuleOptions& o);
std::unique_ptr<LearningRule> make_weight_mirror(const RuleOptions& o);
std::unique_ptr<LearningRule> make_kolen_pollack(const RuleOptions& o);
std::unique_ptr<LearningRule> make_dtp(const RuleOptions& o);
std::unique_ptr<LearningRule> make_ddtp(const RuleOptions& o);
std::unique_ptr<LearningRule> make_ldrl(const RuleOptions& o);
std::unique_ptr<LearningRule> make_predictive_coding(const RuleOptions& o);
std::unique_ptr<LearningRule> make_weight_perturbation(const RuleOptions& o);
std::unique_ptr<LearningRule> make_node_perturbation(const RuleOptions& o);

namespace {

std::unique_ptr<LearningRule> make_dfa(const RuleOptions&) { return std::make_unique<DirectFeedbackAlignment>(); }

struct RuleEntry {
  const char* name;
  std::function<std::unique_ptr<LearningRule>(const RuleOptions&)> make;
};

const std::vector<RuleEntry>& registry() {
  static const std::vector<RuleEntry> rules = {
      {"bp", make_bp},
      {"bptt", make_bptt},
      {"fa", make_fa},
      {"dfa", make_dfa},
      {"sign-symmetry", make_sign_symmetry},
      {"weight-mirror", make_weight_mirror},
      {"kolen-pollack", make_kolen_pollack},
      {"dtp", make_dtp},
      {"ddtp", make_ddtp},
      {"ldrl", make_ldrl},
      {"pc", make_predictive_coding},
      {"weight-perturbation", make_weight_perturbation},
      {"node-perturbation", make_node_perturbation},
  };
  return rules;
}

}  // namespace

std::vector<std::string> rule_names() {
  std::vector<std::string> names;
  for (const auto& r : registry()) names.push_back(r.name);
  return names;
}

std::unique_ptr<LearningRule> make_rule(const std::string& name, const RuleOptions& options) {
  for (const auto& r : registry()) {
    if (name == r.name) return r.make(options);
  }
  std::string known;
  for (const auto& n : rule_names()) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument("--rule '" + name + "': unknown rule (known: " + known + ")");
}

}  // namespace ml
