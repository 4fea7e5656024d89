// Optimizers over a list of Params. State (momentum, Adam moments) is kept per
// parameter, in the order the params were first seen, so it can be saved.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/checkpoint.h"
#include "engine/layer.h"
#include "kernels/optimizer/optimizer_update.h"

namespace ml {

struct OptimizerConfig {
  std::string name = "sgd";  // sgd | adam
  float lr = 0.01f;
  std::string lr_schedule = "constant";  // engine/lr_schedule.h; ml-train sets the rate before every batch
  float momentum = 0.9f;     // sgd
  float weight_decay = 0.0f;
  // > 0: when the global L2 norm of the gradients stepped together exceeds it, they are
  // scaled down to it before the update (PyTorch's clip_grad_norm_, weight decay added after).
  float clip_grad_norm = 0.0f;
  float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;  // adam
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // Updates every param from its grad, except frozen ones (left bit-for-bit as they are).
  virtual void step(const std::vector<Param*>& params) = 0;
  float lr() const { return lr_; }

  // Everything step() has accumulated, for ml-train --resume: the state tensors
  // as "<param name>.<slot>" (SGD: momentum; Adam: adam_m, adam_v) and Adam's
  // step count per param name. Throws std::logic_error for a stepped param
  // without a name, or two with the same name (their states could not be told apart).
  struct State {
    std::vector<NamedTensor> tensors;      // CPU copies, sorted by name
    std::map<std::string, int64_t> steps;  // adam
  };
  virtual State state() const = 0;
  // Hands a saved State to the params of those names when each is first stepped
  // (a fresh optimizer knows no params yet); call before the first step.
  virtual void restore(const State& s) = 0;
  // The state a param has once stepped: its slots ("momentum"; "adam_m", "adam_v"; none for SGD without
  // momentum) and whether State::steps counts its steps (Adam). A resume checks a saved state has them all.
  virtual std::vector<std::string> slots() const = 0;
  virtual bool counts_steps() const { return false; }
  void set_lr(float lr) { lr_ = lr; }
  // The global gradient norm of the last step (before clipping); 0 before the first
  // or when clipping is off (it is only measured to clip).
  double last_grad_norm() const { return last_grad_norm_; }

 protected:
  Optimizer(float lr, float clip_grad_norm) : lr_(lr), clip_grad_norm_(clip_grad_norm) {}
  // The factor every gradient of this step is multiplied by: 1, or clip / norm when
  // the norm over the params that move exceeds clip.
  float grad_scale(const std::vector<Param*>& params);
  float lr_;
  float clip_grad_norm_;
  double last_grad_norm_ = 0.0;
  // grad_scale's per-step lists, kept so that clipping allocates nothing after the first step
  std::vector<double> norm_sums_, device_sums_;
  std::vector<const float*> device_arrays_;
  std::vector<size_t> device_sizes_, device_slots_;
};

// Throws std::invalid_argument naming the value for an unknown name or a bad setting.
std::unique_ptr<Optimizer> make_optimizer(const OptimizerConfig& c);

}  // namespace ml
