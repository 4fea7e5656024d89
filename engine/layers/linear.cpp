#include "engine/layers/linear.h"

#include <stdexcept>

namespace ml {

Linear::Linear(int in_features, int out_features) : in_features_(in_features), out_features_(out_features) {
  weight_.value = Tensor({out_features, in_features});
  weight_.grad = Tensor(weight_.value.shape());
  bias_.value = Tensor({out_features});
  bias_.grad = Tensor({out_features});
}

Shape Linear::output_shape(const Shape& in) const {
  const std::string where = "layer " + name_ + " '" + token() + "': ";
  if (in.size() != 1) {
    throw std::invalid_argument(where + "expects a flat input, got " + shape_str(in) + " (put 'flatten' before it)");
  }
  if (in[0] != in_features_) {
    throw std::invalid_argument(where + "expects " + std::to_string(in_features_) + " features, got " + shape_str(in));
  }
  return {out_features_};
}

void Linear::init(Rng& rng) { init_fan_in_uniform(weight_, bias_, in_features_, rng); }

const Tensor& Linear::forward(const Tensor& x) {
  input_ = x;
  const LinearShape s = shape_for(x);
  ensure(output_, {s.N, s.out}, x.device());
  ML_ON_DEVICE(x.device(), linear_forward, output_.data(), x.data(), weight_.value.data(), bias_.value.data(), s);
  return output_;
}

const Tensor& Linear::backward_input(const Tensor& dy, const Tensor* feedback) {
  const Tensor& w = weight_for_backward(weight_, feedback);
  const LinearShape s = shape_for(input_);
  ensure(grad_input_, input_.shape(), dy.device());
  ML_ON_DEVICE(dy.device(), linear_backward_input, grad_input_.data(), dy.data(), w.data(), s);
  return grad_input_;
}

void Linear::weight_grads(const Tensor& dy) {
  const LinearShape s = shape_for(input_);
  ML_ON_DEVICE(dy.device(), linear_backward_weight, weight_.grad.data(), bias_.grad.data(), dy.data(), input_.data(), s);
}

}  // namespace ml
