// The sum of squares of several tensors' values, in double, read back to the host together:
// one transfer of K doubles however large the tensors (predictive coding's energy per inference
// step; it used to copy every layer's error to the host). Device scratch is kept between calls,
// so a training step allocates nothing after its first.
#pragma once
#include <memory>
#include <vector>

#include "engine/tensor.h"

namespace ml {

class SquaredNorms {
 public:
  // One sum per tensor, in their order; every tensor on the same device. On the CPU the sums
  // of a plain loop in double; on the GPU the same to rounding, the same bits on every run
  // (kernels/sum_of_squares).
  const std::vector<double>& operator()(const std::vector<const Tensor*>& tensors);

 private:
  std::vector<double> sums_;
  std::shared_ptr<double> device_;  // K sums, then K x kSumOfSquaresBlocks partials
  size_t device_capacity_ = 0;      // doubles
};

}  // namespace ml
