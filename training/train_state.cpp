#include "training/train_state.h"

#include <cmath>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "engine/checkpoint.h"

namespace ml {
namespace {

using json = nlohmann::json;

void add_optimizer(std::vector<NamedTensor>& tensors, json& steps, const std::string& prefix, const Optimizer& opt) {
  Optimizer::State s = opt.state();
  for (auto& t : s.tensors) tensors.push_back({prefix + t.name, t.tensor});
  steps = s.steps;
}

Optimizer::State optimizer_state(const Checkpoint& ck, const std::string& prefix, const json& steps) {
  Optimizer::State s;
  for (const auto& t : ck.tensors) {
    if (t.name.rfind(prefix, 0) == 0) s.tensors.push_back({t.name.substr(prefix.size()), t.tensor});
  }
  s.steps = steps.get<std::map<std::string, int64_t>>();
  return s;
}

// Every rule steps all of the network's unfrozen parameters with the run's optimizer on every batch, and a
// state is saved only after a batch: each of them has its moments (and Adam's step count) in the state. Without
// this a state with a moment removed would resume from a zero moment: a different run, without a word.
void check_optimizer_state(const Checkpoint& ck, Network& net, const Optimizer& opt, const json& steps) {
  for (const Param* p : net.params()) {
    if (p->frozen) continue;
    for (const std::string& slot : opt.slots()) {
      const std::string name = "opt/" + p->name + "." + slot;
      if (!ck.find(name)) throw std::invalid_argument("the optimizer state '" + name + "' is missing");
    }
    if (opt.counts_steps() && !steps.contains(p->name))
      throw std::invalid_argument("the optimizer's step count for '" + p->name + "' is missing");
  }
}

bool finite(const Tensor& t) {
  const std::vector<float> host = t.device() == Device::CPU ? std::vector<float>() : t.to_vector();
  const float* v = t.device() == Device::CPU ? t.data() : host.data();
  for (size_t i = 0; i < t.numel(); ++i) {
    if (!std::isfinite(v[i])) return false;
  }
  return true;
}

}  // namespace

void save_train_state(const std::string& path, Network& net, LearningRule& rule, const Optimizer& opt,
                      const TrainProgress& p) {
  std::vector<NamedTensor> tensors;
  for (Param* param : net.params()) tensors.push_back({"net/" + param->name, param->value});
  for (auto& t : rule.state()) tensors.push_back({"rule/" + t.name, t.tensor});
  json j;
  progress_to_json(p, j);
  j["rng"] = json::object();
  for (const auto& [name, rng] : rule.rng_streams()) j["rng"][name] = rng->state();
  j["rule"] = rule.scalar_state();
  add_optimizer(tensors, j["opt_steps"], "opt/", opt);
  j["rule_opt_steps"] = json::object();
  for (const auto& [name, o] : rule.own_optimizers()) {
    add_optimizer(tensors, j["rule_opt_steps"][name], "rule_opt/" + name + "/", *o);
  }
  save_safetensors(path, tensors,
                   {{"format", "microlearning-train-state"},
                    {"version", "1"},
                    {"progress", j.dump()},
                    {"tensors", tensor_manifest(tensors)}});
}

TrainProgress load_train_state(const std::string& path, const RunExtent& run, Network& net, LearningRule& rule,
                               Optimizer& opt) {
  const Checkpoint ck = load_safetensors(path);  // path stays unset: the catch below names it once
  TrainProgress p = checked_train_state(ck, path, run);
  try {
    for (Param* param : net.params()) load_into(ck, "net/" + param->name, param->value);
    for (auto& t : rule.state()) load_into(ck, "rule/" + t.name, t.tensor);
    const json j = json::parse(ck.metadata.at("progress"));
    for (const auto& [name, rng] : rule.rng_streams()) {
      if (!j.at("rng").contains(name)) throw std::invalid_argument("no state for the random stream '" + name + "'");
      *rng = Rng(j.at("rng").at(name).get<uint64_t>());
    }
    rule.restore_scalar_state(j.at("rule"));
    check_optimizer_state(ck, net, opt, j.at("opt_steps"));
    opt.restore(optimizer_state(ck, "opt/", j.at("opt_steps")));
    for (const auto& [name, o] : rule.own_optimizers()) {
      if (!j.at("rule_opt_steps").contains(name)) throw std::invalid_argument("no state for the optimizer '" + name + "'");
      o->restore(optimizer_state(ck, "rule_opt/" + name + "/", j.at("rule_opt_steps").at(name)));
    }
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  return p;
}

std::string first_non_finite(Network& net, LearningRule& rule) {
  for (Param* p : net.params()) {
    if (!finite(p->value)) return p->name;
  }
  for (const auto& t : rule.state()) {
    if (!finite(t.tensor)) return t.name;
  }
  return "";
}

}  // namespace ml
