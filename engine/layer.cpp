#include "engine/layer.h"

#include <cmath>
#include <stdexcept>

namespace ml {

void Layer::to(Device d) {
  for (Param* p : params()) {
    p->value = p->value.to(d);
    p->grad = Tensor(p->value.shape(), d);
  }
  input_ = output_ = grad_input_ = Tensor();
}

const Tensor& Layer::weight_for_backward(const Param& weight, const Tensor* feedback) const {
  if (!feedback) return weight.value;
  if (feedback->shape() != weight.value.shape() || feedback->device() != weight.value.device()) {
    throw std::invalid_argument("layer " + name_ + ": feedback weight " + shape_str(feedback->shape()) + " on " +
                                device_name(feedback->device()) + " does not match the weight " +
                                shape_str(weight.value.shape()) + " on " + device_name(weight.value.device()));
  }
  return *feedback;
}

void Layer::init_fan_in_uniform(Param& weight, Param& bias, int fan_in, Rng& rng) {
  const float bound = 1.0f / std::sqrt(static_cast<float>(fan_in));
  for (Param* p : {&weight, &bias}) {
    std::vector<float> values(p->value.numel());
    for (auto& v : values) v = rng.uniform(-bound, bound);
    p->value = Tensor::from_vector(p->value.shape(), values, p->value.device());
  }
}

}  // namespace ml
