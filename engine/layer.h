// A layer exposes primitives, not a learning policy: forward, the transposed
// op through ANY weight the rule chooses, and the weight/bias gradients.
#pragma once
#include <string>
#include <vector>

#include "base/rng.h"
#include "engine/tensor.h"

namespace ml {

struct Param {
  std::string name;  // "conv1.weight" (PyTorch's naming, so checkpoints read naturally)
  Tensor value;
  Tensor grad;       // written (overwritten) by weight_grads
  bool frozen = false;  // every Optimizer skips it: the value never changes (--freeze-conv1)
};

class Layer {
 public:
  virtual ~Layer() = default;

  const std::string& name() const { return name_; }  // "conv1", "relu2", "fc1", ...
  void set_name(std::string n) { name_ = std::move(n); }
  virtual std::string token() const = 0;                  // the spec token, e.g. "conv32k3"

  // Per-sample output shape ([C,H,W] or [F]) for a per-sample input shape.
  // Throws std::invalid_argument naming the layer when the input does not fit.
  virtual Shape output_shape(const Shape& in) const = 0;

  // Draws the initial parameters (PyTorch's default init) and allocates them.
  virtual void init(Rng&) {}
  virtual void to(Device d);

  // y = f(x). Keeps x (a handle) and y for the backward pass; returns y, which
  // the layer owns and reuses next batch.
  virtual const Tensor& forward(const Tensor& x) = 0;

  // Error at the output -> error at the input. For layers with weights the
  // error goes through `feedback` (same shape as the weight) when given, else
  // through the layer's own weight. Layers without weights ignore it.
  virtual const Tensor& backward_input(const Tensor& dy, const Tensor* feedback = nullptr) = 0;

  // Overwrites every param's grad from dy and the cached input.
  virtual void weight_grads(const Tensor& /*dy*/) {}

  virtual std::vector<Param*> params() { return {}; }
  virtual Param* weight() { return nullptr; }  // the weight a feedback rule mirrors
  virtual Param* bias() { return nullptr; }

  const Tensor& input() const { return input_; }
  const Tensor& output() const { return output_; }

 protected:
  // The weight the error goes back through: feedback when given (checked to
  // have the weight's shape), else the layer's own weight.
  const Tensor& weight_for_backward(const Param& weight, const Tensor* feedback) const;
  // PyTorch's default init of conv and linear layers: weight and bias uniform
  // in +-1/sqrt(fan_in) (kaiming_uniform with a = sqrt(5)).
  static void init_fan_in_uniform(Param& weight, Param& bias, int fan_in, Rng& rng);

  std::string name_;
  Tensor input_, output_, grad_input_;
};

}  // namespace ml
