// Command-line options that a unit declares where it is defined (a learning
// rule, the first-layer embeddings), so that a program adds them to its
// command line without knowing them, and the unit reads its own values back.
// No parser library here: the programs map FlagSpec onto cxxopts (apps/cli.h).
#pragma once
#include <initializer_list>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace ml {

enum class FlagType { Float, Int, Text, Switch, FloatList, IntList };

struct FlagSpec {
  std::string name;           // without the leading "--"
  FlagType type = FlagType::Float;
  std::string default_value;  // as a user would type it; "" for a switch (off)
  std::string help;
};

// The values of a unit's flags as typed on the command line, name -> text
// (a switch: "true" or "false"). The typed getters parse the text as cxxopts
// does (a stream read that must consume the whole value; lists split at ',')
// and throw std::invalid_argument("--name 'text': not a valid value").
// "a,b,,c" -> {"a", "b", "c"}: a comma-separated flag value's items, empty ones dropped.
std::vector<std::string> split_list(const std::string& text);

class FlagValues {
 public:
  FlagValues() = default;
  FlagValues(std::initializer_list<std::pair<const std::string, std::string>> values) : values_(values) {}

  void set(const std::string& name, const std::string& value) { values_[name] = value; }
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  const std::map<std::string, std::string>& all() const { return values_; }

  // Every flag of `specs` that has no value gets its default; a value for a
  // flag not in `specs` throws ("--name: not an option of <owner>").
  FlagValues with_defaults(const std::vector<FlagSpec>& specs, const std::string& owner) const;

  float get_float(const std::string& name) const;
  int get_int(const std::string& name) const;
  const std::string& get_text(const std::string& name) const;
  bool get_switch(const std::string& name) const;
  std::vector<float> get_floats(const std::string& name) const;
  std::vector<int> get_ints(const std::string& name) const;

 private:
  const std::string& text(const std::string& name) const;
  std::map<std::string, std::string> values_;
};

}  // namespace ml
