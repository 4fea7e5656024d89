#pragma once
#include "engine/layer.h"
#include "kernels/conv2d/conv2d.h"

namespace ml {

class Conv2d : public Layer {
 public:
  Conv2d(int in_channels, int out_channels, int kernel, int stride = 1, int pad = 0);
  std::string token() const override;
  Shape output_shape(const Shape& in) const override;
  void init(Rng& rng) override;
  const Tensor& forward(const Tensor& x) override;
  const Tensor& backward_input(const Tensor& dy, const Tensor* feedback = nullptr) override;
  void weight_grads(const Tensor& dy) override;
  std::vector<Param*> params() override { return {&weight_, &bias_}; }
  Param* weight() override { return &weight_; }
  Param* bias() override { return &bias_; }

 private:
  Conv2dShape shape_for(const Tensor& x) const;
  int in_channels_, out_channels_, kernel_, stride_, pad_;
  Param weight_, bias_;
};

}  // namespace ml
