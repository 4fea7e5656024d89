#include "engine/optimizer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <stdexcept>

namespace ml {
namespace {

// Lazily created per-parameter state tensors, on the parameter's device. A
// restored state waits under "<param name>.<slot name>" until that param is
// first seen (a fresh optimizer knows params only by their first step).
class StateMap {
 public:
  explicit StateMap(std::vector<std::string> slot_names) : slot_names_(std::move(slot_names)) {}

  Tensor& get(const Param* p, int slot) {
    auto& slots = state_[p];
    if (slots.size() <= static_cast<size_t>(slot)) slots.resize(slot + 1);
    if (!slots[slot].defined()) {
      slots[slot] = Tensor(p->value.shape(), p->value.device());
      const auto saved = pending_.find(key(p->name, slot));
      if (saved != pending_.end()) {
        if (saved->second.shape() != p->value.shape()) {
          throw std::invalid_argument("optimizer state '" + saved->first + "' has shape " +
                                      shape_str(saved->second.shape()) + ", the parameter has " +
                                      shape_str(p->value.shape()));
        }
        slots[slot].copy_from(saved->second);
        pending_.erase(saved);
      }
    }
    return slots[slot];
  }

  void save(std::vector<NamedTensor>& out) const {
    std::set<std::string> seen;
    for (const auto& [p, slots] : state_) {
      if (p->name.empty()) throw std::logic_error("optimizer: a stepped parameter has no name; its state cannot be saved");
      if (!seen.insert(p->name).second) throw std::logic_error("optimizer: two stepped parameters are named '" + p->name + "'");
      for (size_t s = 0; s < slots.size(); ++s) {
        if (slots[s].defined()) out.push_back({key(p->name, static_cast<int>(s)), slots[s].to(Device::CPU)});
      }
    }
    for (const auto& [name, t] : pending_) out.push_back({name, t});  // restored, not yet stepped again
    std::sort(out.begin(), out.end(), [](const NamedTensor& a, const NamedTensor& b) { return a.name < b.name; });
  }

  void restore(const std::vector<NamedTensor>& tensors) {
    for (const auto& t : tensors) pending_[t.name] = t.tensor;
  }

 private:
  std::string key(const std::string& name, int slot) const { return name + "." + slot_names_.at(slot); }

  std::vector<std::string> slot_names_;
  std::unordered_map<const Param*, std::vector<Tensor>> state_;
  std::map<std::string, Tensor> pending_;
};

class Sgd : public Optimizer {
 public:
  explicit Sgd(const OptimizerConfig& c)
      : Optimizer(c.lr, c.clip_grad_norm), momentum_(c.momentum), weight_decay_(c.weight_decay), state_({"momentum"}) {}
  void step(const std::vector<Param*>& params) override {
    const SgdConfig c{lr_, momentum_, weight_decay_, grad_scale(params)};
    for (Param* p : params) {
      if (p->frozen) continue;
      float* velocity = momentum_ != 0.0f ? state_.get(p, 0).data() : nullptr;
      ML_ON_DEVICE(p->value.device(), sgd_update, p->value.data(), velocity, p->grad.data(), p->value.numel(), c);
    }
  }
  State state() const override {
    State s;
    state_.save(s.tensors);
    return s;
  }
  void restore(const State& s) override { state_.restore(s.tensors); }
  std::vector<std::string> slots() const override {
    return momentum_ != 0.0f ? std::vector<std::string>{"momentum"} : std::vector<std::string>{};
  }

 private:
  float momentum_, weight_decay_;
  StateMap state_;
};

class Adam : public Optimizer {
 public:
  explicit Adam(const OptimizerConfig& c)
      : Optimizer(c.lr, c.clip_grad_norm), config_(c), state_({"adam_m", "adam_v"}) {}
  void step(const std::vector<Param*>& params) override {
    const AdamConfig c{lr_, config_.beta1, config_.beta2, config_.eps, config_.weight_decay, grad_scale(params)};
    for (Param* p : params) {
      if (p->frozen) continue;
      float* m = state_.get(p, 0).data();
      float* v = state_.get(p, 1).data();
      auto [it, first] = steps_.try_emplace(p, 0);
      if (first) {
        const auto saved = pending_steps_.find(p->name);
        if (saved != pending_steps_.end()) {
          it->second = static_cast<int>(saved->second);
          pending_steps_.erase(saved);
        }
      }
      const int t = ++it->second;  // per parameter: a rule may step its own params separately
      ML_ON_DEVICE(p->value.device(), adam_update, p->value.data(), m, v, p->grad.data(), p->value.numel(), c, t);
    }
  }
  State state() const override {
    State s;
    state_.save(s.tensors);
    for (const auto& [p, t] : steps_) s.steps[p->name] = t;
    for (const auto& [name, t] : pending_steps_) s.steps[name] = t;
    return s;
  }
  void restore(const State& s) override {
    state_.restore(s.tensors);
    pending_steps_ = s.steps;
  }
  std::vector<std::string> slots() const override { return {"adam_m", "adam_v"}; }
  bool counts_steps() const override { return true; }

 private:
  OptimizerConfig config_;
  std::unordered_map<const Param*, int> steps_;
  std::map<std::string, int64_t> pending_steps_;
  StateMap state_;
};

// A flag's value as the user would write it (std::to_string prints 1e-8 as 0.000000).
std::string value_text(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", static_cast<double>(v));
  return buf;
}

}  // namespace

float Optimizer::grad_scale(const std::vector<Param*>& params) {
  if (clip_grad_norm_ <= 0.0f) return 1.0f;
  // per-parameter sums, added in parameter order: the norm does not depend on the device split
  norm_sums_.assign(params.size(), 0.0);
  device_arrays_.clear();
  device_sizes_.clear();
  device_slots_.clear();
  for (size_t k = 0; k < params.size(); ++k) {
    const Param* p = params[k];
    if (p->frozen) continue;
    if (p->grad.device() == Device::CUDA) {
      device_arrays_.push_back(p->grad.data());
      device_sizes_.push_back(p->grad.numel());
      device_slots_.push_back(k);
    } else {
      norm_sums_[k] = sum_squares_cpu(p->grad.data(), p->grad.numel());
    }
  }
  if (!device_arrays_.empty()) {
    device_sums_.resize(device_arrays_.size());
    sum_squares_cuda(device_arrays_.data(), device_sizes_.data(), device_arrays_.size(), device_sums_.data());
    for (size_t j = 0; j < device_slots_.size(); ++j) norm_sums_[device_slots_[j]] = device_sums_[j];
  }
  double sum = 0.0;
  for (double s : norm_sums_) sum += s;
  last_grad_norm_ = std::sqrt(sum);
  // PyTorch's epsilon: a norm at the threshold is left (almost) as it is
  const double scale = clip_grad_norm_ / (last_grad_norm_ + 1e-6);
  return scale < 1.0 ? static_cast<float>(scale) : 1.0f;
}

std::unique_ptr<Optimizer> make_optimizer(const OptimizerConfig& c) {
  if (!(c.lr > 0.0f) || !std::isfinite(c.lr)) throw std::invalid_argument("--lr " + std::to_string(c.lr) + ": must be > 0");
  if (c.weight_decay < 0.0f) throw std::invalid_argument("--weight-decay: must be >= 0");
  if (!(c.clip_grad_norm >= 0.0f) || !std::isfinite(c.clip_grad_norm)) {
    throw std::invalid_argument("--clip-grad-norm " + std::to_string(c.clip_grad_norm) + ": must be >= 0 (0: off)");
  }
  if (c.name == "sgd") {
    if (!(c.momentum >= 0.0f && c.momentum < 1.0f)) {
      throw std::invalid_argument("--momentum " + value_text(c.momentum) + ": must be in [0, 1)");
    }
    return std::make_unique<Sgd>(c);
  }
  if (c.name == "adam") {
    // Outside these the moments stop being averages (beta >= 1 never forgets, a negative one alternates)
    // and eps <= 0 can divide by zero: the run would train to garbage without a word.
    if (!(c.beta1 >= 0.0f && c.beta1 < 1.0f))
      throw std::invalid_argument("--beta1 " + value_text(c.beta1) + ": must be in [0, 1)");
    if (!(c.beta2 >= 0.0f && c.beta2 < 1.0f))
      throw std::invalid_argument("--beta2 " + value_text(c.beta2) + ": must be in [0, 1)");
    if (!(c.eps > 0.0f) || !std::isfinite(c.eps))
      throw std::invalid_argument("--eps " + value_text(c.eps) + ": must be a finite number > 0");
    return std::make_unique<Adam>(c);
  }
  throw std::invalid_argument("--optimizer '" + c.name + "': expected sgd or adam");
}

}  // namespace ml
