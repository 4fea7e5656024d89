// Every value is checked for type and range here: nlohmann's get<int>() on a
// float such as 1e300 would be undefined behaviour, and its exceptions do not
// name the file.
#include "study/json_config.h"

#include <cstdint>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "base/error_text.h"

namespace ml {
namespace {

using Json = nlohmann::json;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + printable(what));
}

// Our files nest 3 deep; dump() in the error messages recurses, so a deeply
// nested file would otherwise overflow the stack.
constexpr int kMaxDepth = 32;

Json parse(const std::string& text, const std::string& path) {
  const Json::parser_callback_t limit_depth = [&](int depth, Json::parse_event_t, Json&) {
    if (depth > kMaxDepth) fail(path, "nests deeper than " + std::to_string(kMaxDepth) + " levels");
    return true;
  };
  try {
    return Json::parse(text, limit_depth);
  } catch (const Json::exception& e) {
    fail(path, std::string("not valid JSON: ") + e.what());
  }
}

void require_object(const Json& j, const std::string& path) {
  if (!j.is_object()) fail(path, "expected a JSON object, found " + std::string(j.type_name()));
}

// An integer in [lo, hi]; missing: `fallback`, or an error when none is given.
int int_field(const Json& j, const std::string& key, const std::string& path, int lo, int hi,
              const int* fallback = nullptr) {
  const auto it = j.find(key);
  if (it == j.end()) {
    if (fallback) return *fallback;
    fail(path, "no '" + key + "'");
  }
  if (!it->is_number_integer()) fail(path, "'" + key + "' is " + it->dump() + ", expected an integer");
  // (a value above INT64_MAX arrives as unsigned and would wrap as int64)
  const bool is_unsigned = it->is_number_unsigned();
  const uint64_t u = is_unsigned ? it->get<uint64_t>() : 0;
  const int64_t v = is_unsigned ? (u > static_cast<uint64_t>(hi) ? int64_t{hi} + 1 : static_cast<int64_t>(u))
                                : it->get<int64_t>();
  if (v < lo || v > hi)
    fail(path, "'" + key + "' is " + it->dump() + ", expected " + std::to_string(lo) + " to " + std::to_string(hi));
  return static_cast<int>(v);
}

std::string string_field(const Json& j, const std::string& key, const std::string& path, bool required) {
  const auto it = j.find(key);
  if (it == j.end()) {
    if (required) fail(path, "no '" + key + "'");
    return "";
  }
  if (!it->is_string()) fail(path, "'" + key + "' is " + it->dump() + ", expected a string");
  return it->get<std::string>();
}

constexpr int kMaxInt = 2147483647;

}  // namespace

RunConfig parse_run_config(const std::string& text, const std::string& path) {
  const Json j = parse(text, path);
  require_object(j, path);
  RunConfig r;
  r.rule = string_field(j, "rule", path, true);
  if (const auto c = j.find("conv1"); c != j.end()) {  // {"kind": "gabor", "frozen": true, ...} or "gabor"
    if (c->is_object()) r.conv1 = string_field(*c, "kind", path, false);
    else if (c->is_string()) r.conv1 = c->get<std::string>();
  }
  const auto seed = j.find("seed");
  if (seed == j.end() || !seed->is_number_unsigned())
    fail(path, "'seed' is " + (seed == j.end() ? std::string("missing") : seed->dump()) + ", expected an integer >= 0");
  r.seed = seed->get<uint64_t>();
  r.epochs_planned = int_field(j, "epochs", path, 0, kMaxInt);
  const int n = int_field(j, "train_samples", path, 0, kMaxInt);
  const int limit = int_field(j, "limit", path, -kMaxInt, kMaxInt);
  const int batch = int_field(j, "batch", path, 1, kMaxInt);
  const int64_t used = limit > 0 && limit < n ? limit : n;
  r.batches_per_epoch = static_cast<int>((used + batch - 1) / batch);
  return r;
}

StudyIndex parse_study_index(const std::string& text, const std::string& path) {
  const Json j = parse(text, path);
  require_object(j, path);
  StudyIndex s;
  const auto runs = j.find("runs");
  if (runs == j.end() || !runs->is_array()) fail(path, "no 'runs' list");
  for (const Json& r : *runs) {
    if (!r.is_object()) fail(path, "a run is " + r.dump() + ", expected an object with a 'name'");
    const std::string name = string_field(r, "name", path, true);
    // the name becomes a folder under DIR/runs: it must not lead out of it
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
        name.find('\0') != std::string::npos)
      fail(path, "run name '" + name + "' is not a plain folder name");
    s.runs.push_back(name);
  }
  if (const auto rules = j.find("rules"); rules != j.end()) {
    if (!rules->is_array()) fail(path, "'rules' is " + rules->dump() + ", expected a list of names");
    for (const Json& r : *rules) {
      if (!r.is_string()) fail(path, "'rules' holds " + r.dump() + ", expected a name");
      s.rules.push_back(r.get<std::string>());
    }
  }
  s.preset = string_field(j, "preset", path, false);
  s.data = string_field(j, "data", path, false);
  s.human = string_field(j, "human", path, false);
  s.human_counts = j.contains("human_counts") ? string_field(j, "human_counts", path, false) : std::string();
  const int zero = 0, one = 1;
  s.epochs = int_field(j, "epochs", path, 0, kMaxInt, &zero);
  s.limit = int_field(j, "limit", path, -kMaxInt, kMaxInt, &zero);
  s.probe = int_field(j, "probe", path, 0, kMaxInt, &zero);
  s.seeds = int_field(j, "seeds", path, 1, kMaxInt, &one);
  return s;
}

}  // namespace ml
