#include "engine/optimizer.h"

#include <cmath>
#include <stdexcept>

namespace ml {
namespace {

// Lazily created per-parameter state tensors, on the parameter's device.
class StateMap {
 public:
  Tensor& get(const Param* p, int slot) {
    auto& slots = state_[p];
    if (slots.size() <= static_cast<size_t>(slot)) slots.resize(slot + 1);
    if (!slots[slot].defined()) slots[slot] = Tensor(p->value.shape(), p->value.device());
    return slots[slot];
  }

 private:
  std::unordered_map<const Param*, std::vector<Tensor>> state_;
};

class Sgd : public Optimizer {
 public:
  explicit Sgd(const OptimizerConfig& c) : Optimizer(c.lr), momentum_(c.momentum), weight_decay_(c.weight_decay) {}
  void step(const std::vector<Param*>& params) override {
    const SgdConfig c{lr_, momentum_, weight_decay_};
    for (Param* p : params) {
      if (p->frozen) continue;
      float* velocity = momentum_ != 0.0f ? state_.get(p, 0).data() : nullptr;
      if (p->value.device() == Device::CUDA) sgd_update_cuda(p->value.data(), velocity, p->grad.data(), p->value.numel(), c);
      else sgd_update_cpu(p->value.data(), velocity, p->grad.data(), p->value.numel(), c);
    }
  }

 private:
  float momentum_, weight_decay_;
  StateMap state_;
};

class Adam : public Optimizer {
 public:
  explicit Adam(const OptimizerConfig& c) : Optimizer(c.lr), config_(c) {}
  void step(const std::vector<Param*>& params) override {
    const AdamConfig c{lr_, config_.beta1, config_.beta2, config_.eps, config_.weight_decay};
    for (Param* p : params) {
      if (p->frozen) continue;
      float* m = state_.get(p, 0).data();
      float* v = state_.get(p, 1).data();
      const int t = ++steps_[p];  // per parameter: a rule may step its own params separately
      if (p->value.device() == Device::CUDA) adam_update_cuda(p->value.data(), m, v, p->grad.data(), p->value.numel(), c, t);
      else adam_update_cpu(p->value.data(), m, v, p->grad.data(), p->value.numel(), c, t);
    }
  }

 private:
  OptimizerConfig config_;
  std::unordered_map<const Param*, int> steps_;
  StateMap state_;
};

}  // namespace

std::unique_ptr<Optimizer> make_optimizer(const OptimizerConfig& c) {
  if (!(c.lr > 0.0f) || !std::isfinite(c.lr)) throw std::invalid_argument("--lr " + std::to_string(c.lr) + ": must be > 0");
  if (c.weight_decay < 0.0f) throw std::invalid_argument("--weight-decay: must be >= 0");
  if (c.name == "sgd") {
    if (c.momentum < 0.0f || c.momentum >= 1.0f) {
      throw std::invalid_argument("--momentum " + std::to_string(c.momentum) + ": must be in [0, 1)");
    }
    return std::make_unique<Sgd>(c);
  }
  if (c.name == "adam") return std::make_unique<Adam>(c);
  throw std::invalid_argument("--optimizer '" + c.name + "': expected sgd or adam");
}

}  // namespace ml
