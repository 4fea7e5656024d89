#include "training/train_state.h"

#include <cmath>
#include <limits>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "engine/checkpoint.h"

namespace ml {
namespace {

using json = nlohmann::json;

// JSON has no NaN or infinity (nlohmann writes null) and alignment values can
// be either; "%.17g" round trips every finite double exactly.
json encode(double v) {
  if (std::isfinite(v)) return v;
  return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
}
double decode(const json& j) {
  if (j.is_number()) return j.get<double>();
  const std::string s = j.get<std::string>();
  if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
  if (s == "inf") return std::numeric_limits<double>::infinity();
  if (s == "-inf") return -std::numeric_limits<double>::infinity();
  throw std::invalid_argument("not a number: '" + s + "'");
}

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
  j["epoch"] = p.epoch;
  j["batch"] = p.batch;
  j["loss_sum"] = encode(p.loss_sum);
  j["seconds"] = p.seconds;
  j["correct"] = p.correct;
  j["seen"] = p.seen;
  j["history"] = json::array();
  for (const EpochMetrics& m : p.history) {
    j["history"].push_back(
        {m.epoch, encode(m.train_loss), m.train_acc, encode(m.test_loss), m.test_acc, m.seconds, m.samples_per_s,
         encode(m.val_loss), encode(m.val_acc)});
  }
  j["alignment"] = json::array();
  for (const AlignmentRow& r : p.alignment.rows()) j["alignment"].push_back({r.epoch, r.batch, r.layer, r.metric, encode(r.value)});
  j["snapshots"] = json::array();
  for (const SnapshotRow& s : p.snapshots)
    j["snapshots"].push_back({s.label, s.epoch, s.batch, encode(s.val_loss), encode(s.val_acc)});
  j["rng"] = json::object();
  for (const auto& [name, rng] : rule.rng_streams()) j["rng"][name] = rng->state();
  j["rule"] = rule.scalar_state();
  add_optimizer(tensors, j["opt_steps"], "opt/", opt);
  j["rule_opt_steps"] = json::object();
  for (const auto& [name, o] : rule.own_optimizers()) {
    add_optimizer(tensors, j["rule_opt_steps"][name], "rule_opt/" + name + "/", *o);
  }
  save_safetensors(path, tensors, {{"format", "microlearning-train-state"}, {"version", "1"}, {"progress", j.dump()}});
}

TrainProgress load_train_state(const std::string& path, Network& net, LearningRule& rule, Optimizer& opt) {
  Checkpoint ck = load_safetensors(path);  // path stays unset: the catch below names it once
  if (ck.metadata["format"] != "microlearning-train-state" || ck.metadata["version"] != "1") {
    throw std::runtime_error(path + ": not a version 1 microlearning training state");
  }
  TrainProgress p;
  try {
    for (Param* param : net.params()) load_into(ck, "net/" + param->name, param->value);
    for (auto& t : rule.state()) load_into(ck, "rule/" + t.name, t.tensor);
    const json j = json::parse(ck.metadata["progress"]);
    p.epoch = j.at("epoch").get<int>();
    p.batch = j.at("batch").get<int>();
    p.loss_sum = decode(j.at("loss_sum"));
    p.seconds = j.at("seconds").get<double>();
    p.correct = j.at("correct").get<long>();
    p.seen = j.at("seen").get<long>();
    for (const json& m : j.at("history")) {
      p.history.push_back({m.at(0).get<int>(), decode(m.at(1)), decode(m.at(2)), decode(m.at(3)), decode(m.at(4)),
                           decode(m.at(5)), decode(m.at(6))});
      if (m.size() > 7) {  // states written before --val have no validation columns
        p.history.back().val_loss = decode(m.at(7));
        p.history.back().val_acc = decode(m.at(8));
      }
    }
    for (const json& r : j.at("alignment")) {
      p.alignment.add(r.at(0).get<int>(), r.at(1).get<int>(), r.at(2).get<std::string>(), r.at(3).get<std::string>(),
                      decode(r.at(4)));
    }
    if (j.contains("snapshots")) {  // states written before --snapshots have none
      for (const json& s : j.at("snapshots"))
        p.snapshots.push_back({s.at(0).get<std::string>(), s.at(1).get<int>(), s.at(2).get<int>(), decode(s.at(3)),
                               decode(s.at(4))});
    }
    for (const auto& [name, rng] : rule.rng_streams()) {
      if (!j.at("rng").contains(name)) throw std::invalid_argument("no state for the random stream '" + name + "'");
      *rng = Rng(j.at("rng").at(name).get<uint64_t>());
    }
    rule.restore_scalar_state(j.at("rule"));
    opt.restore(optimizer_state(ck, "opt/", j.at("opt_steps")));
    for (const auto& [name, o] : rule.own_optimizers()) {
      if (!j.at("rule_opt_steps").contains(name)) throw std::invalid_argument("no state for the optimizer '" + name + "'");
      o->restore(optimizer_state(ck, "rule_opt/" + name + "/", j.at("rule_opt_steps").at(name)));
    }
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  if (p.epoch < 1 || p.batch < 0) throw std::runtime_error(path + ": bad position epoch " + std::to_string(p.epoch) +
                                                           ", batch " + std::to_string(p.batch));
  return p;
}

const EpochMetrics& val_selected(const std::vector<EpochMetrics>& history) {
  const EpochMetrics* best = &history.back();
  if (std::isnan(best->val_acc)) return *best;
  for (const EpochMetrics& m : history)
    if (m.val_acc > best->val_acc || (m.val_acc == best->val_acc && m.epoch < best->epoch)) best = &m;
  return *best;
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
