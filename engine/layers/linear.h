#pragma once
#include "engine/layer.h"
#include "kernels/linear/linear.h"

namespace ml {

class Linear : public Layer {
 public:
  Linear(int in_features, int out_features);
  std::string token() const override { return "fc" + std::to_string(out_features_); }
  Shape output_shape(const Shape& in) const override;
  void init(Rng& rng) override;
  const Tensor& forward(const Tensor& x) override;
  const Tensor& backward_input(const Tensor& dy, const Tensor* feedback = nullptr) override;
  void weight_grads(const Tensor& dy) override;
  std::vector<Param*> params() override { return {&weight_, &bias_}; }
  Param* weight() override { return &weight_; }
  Param* bias() override { return &bias_; }

 private:
  LinearShape shape_for(const Tensor& x) const { return {x.dim(0), in_features_, out_features_}; }
  int in_features_, out_features_;
  Param weight_, bias_;
};

}  // namespace ml
