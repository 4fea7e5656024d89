// Parameter-free layers: ReLU, MaxPool2d, Flatten.
#pragma once
#include "engine/int_buffer.h"
#include "engine/layer.h"
#include "kernels/maxpool2d/maxpool2d.h"

namespace ml {

class ReLU : public Layer {
 public:
  std::string token() const override { return "relu"; }
  Shape output_shape(const Shape& in) const override { return in; }
  const Tensor& forward(const Tensor& x) override;
  const Tensor& backward_input(const Tensor& dy, const Tensor* feedback = nullptr) override;
};

class MaxPool2d : public Layer {
 public:
  MaxPool2d(int kernel, int stride) : kernel_(kernel), stride_(stride) {}
  std::string token() const override;
  Shape output_shape(const Shape& in) const override;
  const Tensor& forward(const Tensor& x) override;
  const Tensor& backward_input(const Tensor& dy, const Tensor* feedback = nullptr) override;

 private:
  Pool2dShape shape_for(const Tensor& x) const;
  int kernel_, stride_;
  IntBuffer argmax_;
};

class Flatten : public Layer {
 public:
  std::string token() const override { return "flatten"; }
  Shape output_shape(const Shape& in) const override { return {static_cast<int>(shape_numel(in))}; }
  const Tensor& forward(const Tensor& x) override;
  const Tensor& backward_input(const Tensor& dy, const Tensor* feedback = nullptr) override;
};

}  // namespace ml
