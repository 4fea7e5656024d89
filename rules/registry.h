// Every learning rule registers itself from its own file, as Caffe's layers do
// (REGISTER_LAYER_CLASS): its name, the flags it adds to ml-train, ml-train's
// optimizer defaults for it, and the settings ml-study trains it with. Adding a
// rule is its file, its test and its row in README's rule table; no other file
// names it. (The static library is linked whole, CMakeLists.txt, so that no
// registration is dropped by the linker.)
//
// The names: "pc" is predictive coding as a learning rule on any network;
// "pcn" is an architecture (Wen et al.'s deep predictive coding network,
// engine/layers/pcn_block.h) and "bptt" the rule that trains it, backprop
// through its unrolled cycles.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/flags.h"
#include "rules/learning_rule.h"

namespace ml {

struct RuleSpec {
  std::string name;  // --rule NAME
  int order = 0;     // place in listings and in a study's runs (registration order is the linker's)
  // ml-train's optimizer flags for this rule when not given ("lr", "lr-schedule", "clip-grad-norm",
  // "weight-decay"), in this order on a study's command line: what the rule trains well with
  // (docs/RESULTS.md); "lr" at least.
  std::vector<std::pair<std::string, std::string>> training_defaults;
  std::vector<FlagSpec> flags;  // its own flags (a family's shared flags are declared by each member alike)
  std::string study_flags;      // the rule's own settings in a study of the seed LeNet (per-layer lists)
  std::string quick_flags;      // what the study's quick preset makes cheaper (said on top of the report)
  std::string study_arch = "lenet";
  // false: kept to reproduce earlier figures (dtp-linear, ldrl-linear); ml-study runs it only when --rules names it.
  bool in_default_study = true;
  // A study run's rough wall time against bp's at the full preset on a GPU (benchmarks/RESULTS.md, steps per
  // rule): ml-study --jobs starts the costliest runs first, so that the slowest does not start last.
  double study_cost = 1;
  // Builds the rule from its flags' values (every flag of `flags` present, defaults filled in); throws
  // std::invalid_argument naming the flag for a bad value.
  std::function<std::unique_ptr<LearningRule>(const FlagValues&)> make;
};

// Adds a rule; returns true (for a namespace-scope initialiser). Two rules of one name throw.
bool register_rule(RuleSpec spec);

// ML_REGISTER_RULE(id, {.name = ..., ...}): fields left out keep their defaults (GCC 12 warns for
// each left-out field of a designated initialiser, hence the pragmas).
#define ML_REGISTER_RULE(id, ...)                                           \
  _Pragma("GCC diagnostic push")                                            \
  _Pragma("GCC diagnostic ignored \"-Wmissing-field-initializers\"")       \
  namespace {                                                               \
  const bool registered_rule_##id = ::ml::register_rule(RuleSpec __VA_ARGS__); \
  }                                                                         \
  _Pragma("GCC diagnostic pop")

std::vector<std::string> rule_names();  // by RuleSpec::order
std::vector<std::string> default_study_rules();  // rule_names() with in_default_study
// Throws std::invalid_argument("--rule 'x': unknown rule (known: ...)").
const RuleSpec& rule_spec(const std::string& name);
// The rule with these flag values (missing ones at their defaults); a flag that is not the rule's throws
// std::invalid_argument("--flag: not an option of RULE").
std::unique_ptr<LearningRule> make_rule(const std::string& name, const FlagValues& flags = {});

// Every rule flag once, in rule order, with the rules that take it ("dtp, ddtp, ldrl"): for --help.
struct RuleFlagGroup {
  std::string rules;
  std::vector<FlagSpec> flags;
};
std::vector<RuleFlagGroup> rule_flag_groups();

// Of `flags`, those that are `rule`'s own (the others belong to other rules).
FlagValues flags_of_rule(const std::string& rule, const FlagValues& flags);

}  // namespace ml
