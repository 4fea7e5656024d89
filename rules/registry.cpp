#include "rules/registry.h"

#include <algorithm>
#include <map>
#include <stdexcept>

namespace ml {
namespace {

std::vector<RuleSpec>& registry() {
  static std::vector<RuleSpec> rules;  // built on first use: registrations run during static initialisation
  return rules;
}

std::vector<const RuleSpec*> in_order() {
  std::vector<const RuleSpec*> specs;
  for (const auto& s : registry()) specs.push_back(&s);
  std::stable_sort(specs.begin(), specs.end(), [](const RuleSpec* a, const RuleSpec* b) { return a->order < b->order; });
  return specs;
}

}  // namespace

bool register_rule(RuleSpec spec) {
  for (const auto& s : registry()) {
    if (s.name == spec.name) throw std::logic_error("rule '" + spec.name + "' registered twice");
  }
  registry().push_back(std::move(spec));
  return true;
}

std::vector<std::string> rule_names() {
  std::vector<std::string> names;
  for (const RuleSpec* s : in_order()) names.push_back(s->name);
  return names;
}

std::vector<std::string> default_study_rules() {
  std::vector<std::string> names;
  for (const RuleSpec* s : in_order())
    if (s->in_default_study) names.push_back(s->name);
  return names;
}

const RuleSpec& rule_spec(const std::string& name) {
  for (const auto& s : registry()) {
    if (s.name == name) return s;
  }
  std::string known;
  for (const auto& n : rule_names()) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument("--rule '" + name + "': unknown rule (known: " + known + ")");
}

std::unique_ptr<LearningRule> make_rule(const std::string& name, const FlagValues& flags) {
  const RuleSpec& spec = rule_spec(name);
  return spec.make(flags.with_defaults(spec.flags, name));
}

std::vector<RuleFlagGroup> rule_flag_groups() {
  std::vector<std::string> order;                 // flag names, first declaration first
  std::map<std::string, FlagSpec> first;          // the declaration shown
  std::map<std::string, std::string> rules_of;    // flag -> "dtp, ddtp, ldrl"
  for (const RuleSpec* s : in_order()) {
    for (const auto& f : s->flags) {
      if (first.emplace(f.name, f).second) order.push_back(f.name);
      std::string& r = rules_of[f.name];
      r += (r.empty() ? "" : ", ") + s->name;
    }
  }
  std::vector<RuleFlagGroup> groups;
  for (const auto& name : order) {
    const std::string& rules = rules_of[name];
    auto g = std::find_if(groups.begin(), groups.end(), [&](const RuleFlagGroup& x) { return x.rules == rules; });
    if (g == groups.end()) g = groups.insert(groups.end(), RuleFlagGroup{rules, {}});
    g->flags.push_back(first[name]);
  }
  return groups;
}

FlagValues flags_of_rule(const std::string& rule, const FlagValues& flags) {
  const RuleSpec& spec = rule_spec(rule);
  FlagValues own;
  for (const auto& [flag, value] : flags.all()) {
    const std::string& name = flag;  // a plain reference: clang 14 cannot capture a structured binding
    if (std::any_of(spec.flags.begin(), spec.flags.end(), [&](const FlagSpec& f) { return f.name == name; }))
      own.set(name, value);
  }
  return own;
}

}  // namespace ml
