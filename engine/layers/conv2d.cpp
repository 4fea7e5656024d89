#include "engine/layers/conv2d.h"

#include <stdexcept>

namespace ml {

Conv2d::Conv2d(int in_channels, int out_channels, int kernel, int stride, int pad)
    : in_channels_(in_channels), out_channels_(out_channels), kernel_(kernel), stride_(stride), pad_(pad) {
  weight_.value = Tensor({out_channels, in_channels, kernel, kernel});
  weight_.grad = Tensor(weight_.value.shape());
  bias_.value = Tensor({out_channels});
  bias_.grad = Tensor({out_channels});
}

std::string Conv2d::token() const {
  std::string t = "conv" + std::to_string(out_channels_) + "k" + std::to_string(kernel_);
  if (stride_ != 1) t += "s" + std::to_string(stride_);
  if (pad_ != 0) t += "p" + std::to_string(pad_);
  return t;
}

Shape Conv2d::output_shape(const Shape& in) const {
  const std::string where = "layer " + name_ + " '" + token() + "': ";
  if (in.size() != 3) throw std::invalid_argument(where + "expects a [C, H, W] input, got " + shape_str(in));
  if (in[0] != in_channels_) {
    throw std::invalid_argument(where + "expects " + std::to_string(in_channels_) + " channels, got " + shape_str(in));
  }
  const int P = (in[1] + 2 * pad_ - kernel_) / stride_ + 1, Q = (in[2] + 2 * pad_ - kernel_) / stride_ + 1;
  if (in[1] + 2 * pad_ < kernel_ || in[2] + 2 * pad_ < kernel_ || P < 1 || Q < 1) {
    throw std::invalid_argument(where + "kernel " + std::to_string(kernel_) + " does not fit input " + shape_str(in));
  }
  return {out_channels_, P, Q};
}

void Conv2d::init(Rng& rng) { init_fan_in_uniform(weight_, bias_, in_channels_ * kernel_ * kernel_, rng); }

Conv2dShape Conv2d::shape_for(const Tensor& x) const {
  Conv2dShape s;
  s.N = x.dim(0), s.C = x.dim(1), s.H = x.dim(2), s.W = x.dim(3);
  s.K = out_channels_, s.R = s.S = kernel_, s.stride = stride_, s.pad = pad_;
  return s;
}

const Tensor& Conv2d::forward(const Tensor& x) {
  input_ = x;
  const Conv2dShape s = shape_for(x);
  ensure(output_, {s.N, s.K, s.P(), s.Q()}, x.device());
  ML_ON_DEVICE(x.device(), conv2d_forward, output_.data(), x.data(), weight_.value.data(), bias_.value.data(), s);
  return output_;
}

const Tensor& Conv2d::backward_input(const Tensor& dy, const Tensor* feedback) {
  const Tensor& w = weight_for_backward(weight_, feedback);
  const Conv2dShape s = shape_for(input_);
  ensure(grad_input_, input_.shape(), dy.device());
  ML_ON_DEVICE(dy.device(), conv2d_backward_input, grad_input_.data(), dy.data(), w.data(), s);
  return grad_input_;
}

void Conv2d::weight_grads(const Tensor& dy) {
  const Conv2dShape s = shape_for(input_);
  ML_ON_DEVICE(dy.device(), conv2d_backward_weight, weight_.grad.data(), bias_.grad.data(), dy.data(), input_.data(), s);
}

}  // namespace ml
