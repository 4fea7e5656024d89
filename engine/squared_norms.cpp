#include "engine/squared_norms.h"

#include <stdexcept>

#include "engine/host_transfers.h"
#include "kernels/optimizer/optimizer_update.h"

namespace ml {

// The optimizer's op for --clip-grad-norm: one sum per array in double, serial on the CPU; on the GPU
// one kernel per array and one read-back of all the sums.
const std::vector<double>& SquaredNorms::operator()(const std::vector<const Tensor*>& tensors) {
  sums_.assign(tensors.size(), 0.0);
  if (tensors.empty()) return sums_;
  const Device device = tensors[0]->device();
  arrays_.clear();
  sizes_.clear();
  for (const Tensor* t : tensors) {
    if (t->device() != device) throw std::invalid_argument("SquaredNorms: tensors on two devices");
    arrays_.push_back(t->data());
    sizes_.push_back(t->numel());
  }
  count_host_read(sums_.size() * sizeof(double));  // the sums reach the host: on a GPU, one wait for the device
  if (device == Device::CUDA) {
    sum_squares_cuda(arrays_.data(), sizes_.data(), arrays_.size(), sums_.data());
  } else {
    for (size_t k = 0; k < arrays_.size(); ++k) sums_[k] = sum_squares_cpu(arrays_[k], sizes_[k]);
  }
  return sums_;
}

}  // namespace ml
