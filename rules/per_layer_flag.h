// Flags that take one value for every layer they apply to, or a comma-separated
// list with one value per layer (--feedback-steps 1,8,8, --mirror-decay ...).
#pragma once

#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ml {

// A value as a user would type it ("0.001", not "0.001000").
inline std::string flag_value(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

template <typename T>
std::string list_text(const std::vector<T>& values) {
  std::string t;
  for (T v : values) t += (t.empty() ? "" : ",") + flag_value(static_cast<float>(v));
  return t;
}

// In config.json: one value stays a number (as before lists were allowed).
template <typename T>
nlohmann::json per_layer_json(const std::vector<T>& values) {
  return values.size() == 1 ? nlohmann::json(values[0]) : nlohmann::json(values);
}

// Every value of the flag must pass `ok`; else one line: "--flag 1,0: every value must be >= 1".
template <typename T, typename Ok>
void check_each_value(const std::string& flag, const std::vector<T>& values, Ok ok, const std::string& rule) {
  if (values.empty()) throw std::invalid_argument(flag + ": no value");
  for (T v : values) {
    if (!ok(v)) throw std::invalid_argument(flag + " " + list_text(values) + ": every value " + rule);
  }
}

// The flag's value for each of `count` layers: its one value repeated, or its list as it is.
// `layer` names what they are ("feedback map"), `names` lists them, both for the error line.
template <typename T>
std::vector<T> per_layer_values(const std::string& flag, const std::vector<T>& values, size_t count,
                                const std::string& layer, const std::string& names) {
  if (values.size() != 1 && values.size() != count) {
    throw std::invalid_argument(flag + " " + list_text(values) + ": " + std::to_string(values.size()) + " values for " +
                                std::to_string(count) + " " + layer + "s (" + names + "); give one value or one per " +
                                layer);
  }
  return values.size() == 1 ? std::vector<T>(count, values[0]) : values;
}

}  // namespace ml
