// The sum of squares of several tensors' values, in double, read back to the host together:
// one transfer of K doubles however large the tensors (predictive coding's energy per inference
// step; it used to copy every layer's error to the host).
#pragma once
#include <cstddef>
#include <vector>

#include "engine/tensor.h"

namespace ml {

class SquaredNorms {
 public:
  // One sum per tensor, in their order; every tensor on the same device. On the CPU a plain loop
  // in double; on the GPU the same to rounding, the same bits on every run (kernels/optimizer's
  // sum_squares, which --clip-grad-norm uses too).
  const std::vector<double>& operator()(const std::vector<const Tensor*>& tensors);

 private:
  std::vector<double> sums_;
  std::vector<const float*> arrays_;
  std::vector<size_t> sizes_;
};

}  // namespace ml
