#include "engine/layers/activation.h"

#include <stdexcept>

#include "kernels/relu/relu.h"

namespace ml {

const Tensor& ReLU::forward(const Tensor& x) {
  input_ = x;
  ensure(output_, x.shape(), x.device());
  ML_ON_DEVICE(x.device(), relu_forward, output_.data(), x.data(), x.numel());
  return output_;
}

const Tensor& ReLU::backward_input(const Tensor& dy, const Tensor*) {
  ensure(grad_input_, dy.shape(), dy.device());
  ML_ON_DEVICE(dy.device(), relu_backward, grad_input_.data(), dy.data(), output_.data(), dy.numel());
  return grad_input_;
}

std::string MaxPool2d::token() const {
  return "maxpool" + std::to_string(kernel_) + (stride_ != kernel_ ? "s" + std::to_string(stride_) : "");
}

Shape MaxPool2d::output_shape(const Shape& in) const {
  const std::string where = "layer " + name_ + " '" + token() + "': ";
  if (in.size() != 3) throw std::invalid_argument(where + "expects a [C, H, W] input, got " + shape_str(in));
  if (in[1] < kernel_ || in[2] < kernel_) {
    throw std::invalid_argument(where + "window " + std::to_string(kernel_) + " does not fit input " + shape_str(in));
  }
  return {in[0], (in[1] - kernel_) / stride_ + 1, (in[2] - kernel_) / stride_ + 1};
}

Pool2dShape MaxPool2d::shape_for(const Tensor& x) const {
  Pool2dShape s;
  s.N = x.dim(0), s.C = x.dim(1), s.H = x.dim(2), s.W = x.dim(3), s.kernel = kernel_, s.stride = stride_;
  return s;
}

const Tensor& MaxPool2d::forward(const Tensor& x) {
  input_ = x;
  const Pool2dShape s = shape_for(x);
  ensure(output_, {s.N, s.C, s.P(), s.Q()}, x.device());
  ensure(argmax_, output_.numel(), x.device());
  ML_ON_DEVICE(x.device(), maxpool2d_forward, output_.data(), argmax_.data(), x.data(), s);
  return output_;
}

const Tensor& MaxPool2d::backward_input(const Tensor& dy, const Tensor*) {
  const Pool2dShape s = shape_for(input_);
  ensure(grad_input_, input_.shape(), dy.device());
  ML_ON_DEVICE(dy.device(), maxpool2d_backward, grad_input_.data(), dy.data(), argmax_.data(), s);
  return grad_input_;
}

const Tensor& Flatten::forward(const Tensor& x) {
  input_ = x;
  output_ = x.reshaped({x.dim(0), static_cast<int>(x.numel() / static_cast<size_t>(x.dim(0)))});
  return output_;
}

const Tensor& Flatten::backward_input(const Tensor& dy, const Tensor*) {
  grad_input_ = dy.reshaped(input_.shape());
  return grad_input_;
}

}  // namespace ml
