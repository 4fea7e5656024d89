#include "engine/layers/global_avg_pool.h"

#include <stdexcept>

#include "kernels/global_avg_pool/global_avg_pool.h"

namespace ml {

Shape GlobalAvgPool::output_shape(const Shape& in) const {
  if (in.size() != 3) {
    throw std::invalid_argument("layer " + name_ + " 'gap': expects a [C, H, W] input, got " + shape_str(in));
  }
  return {in[0]};
}

const Tensor& GlobalAvgPool::forward(const Tensor& x) {
  input_ = x;
  const int N = x.dim(0), C = x.dim(1), HW = x.dim(2) * x.dim(3);
  ensure(output_, {N, C}, x.device());
  ML_ON_DEVICE(x.device(), global_avg_pool_forward, output_.data(), x.data(), N, C, HW);
  return output_;
}

const Tensor& GlobalAvgPool::backward_input(const Tensor& dy, const Tensor*) {
  const int N = input_.dim(0), C = input_.dim(1), HW = input_.dim(2) * input_.dim(3);
  ensure(grad_input_, input_.shape(), dy.device());
  ML_ON_DEVICE(dy.device(), global_avg_pool_backward, grad_input_.data(), dy.data(), N, C, HW);
  return grad_input_;
}

}  // namespace ml
