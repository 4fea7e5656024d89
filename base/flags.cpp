#include "base/flags.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace ml {
namespace {

[[noreturn]] void bad_value(const std::string& name, const std::string& text) {
  throw std::invalid_argument("--" + name + " '" + text + "': not a valid value");
}

// As cxxopts reads a number: a stream read of the whole text.
template <typename T>
T parse_number(const std::string& name, const std::string& text) {
  std::istringstream in(text);
  T value{};
  in >> value;
  if (in.fail() || !in.eof()) bad_value(name, text);
  return value;
}

template <typename T>
std::vector<T> parse_list(const std::string& name, const std::string& text) {
  std::vector<T> values;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, ',')) values.push_back(parse_number<T>(name, item));
  if (values.empty()) bad_value(name, text);
  return values;
}

}  // namespace

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::istringstream in(text);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) items.push_back(item);
  return items;
}

FlagValues FlagValues::with_defaults(const std::vector<FlagSpec>& specs, const std::string& owner) const {
  for (const auto& entry : values_) {
    const std::string& name = entry.first;  // a plain reference: clang 14 cannot capture a structured binding
    const bool known = std::any_of(specs.begin(), specs.end(), [&](const FlagSpec& s) { return s.name == name; });
    if (!known) throw std::invalid_argument("--" + name + ": not an option of " + owner);
  }
  FlagValues complete = *this;
  for (const auto& s : specs) {
    if (!complete.has(s.name)) complete.set(s.name, s.type == FlagType::Switch ? "false" : s.default_value);
  }
  return complete;
}

const std::string& FlagValues::text(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw std::logic_error("flag --" + name + " was never declared");
  return it->second;
}

float FlagValues::get_float(const std::string& name) const { return parse_number<float>(name, text(name)); }
int FlagValues::get_int(const std::string& name) const { return parse_number<int>(name, text(name)); }
const std::string& FlagValues::get_text(const std::string& name) const { return text(name); }

bool FlagValues::get_switch(const std::string& name) const {
  const std::string& t = text(name);
  if (t == "true" || t == "1" || t == "yes") return true;
  if (t == "false" || t == "0" || t == "no" || t.empty()) return false;
  bad_value(name, t);
}

std::vector<float> FlagValues::get_floats(const std::string& name) const {
  return parse_list<float>(name, text(name));
}
std::vector<int> FlagValues::get_ints(const std::string& name) const { return parse_list<int>(name, text(name)); }

}  // namespace ml
