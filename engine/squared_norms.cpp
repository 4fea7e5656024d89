#include "engine/squared_norms.h"

#include <stdexcept>

#include "base/cuda_memory.h"
#include "engine/host_transfers.h"
#include "kernels/sum_of_squares/sum_of_squares.h"

namespace ml {

const std::vector<double>& SquaredNorms::operator()(const std::vector<const Tensor*>& tensors) {
  const int K = static_cast<int>(tensors.size());
  sums_.assign(tensors.size(), 0.0);
  if (K == 0) return sums_;
  const Device device = tensors[0]->device();
  std::vector<const float*> data(tensors.size());
  std::vector<size_t> sizes(tensors.size());
  for (size_t k = 0; k < tensors.size(); ++k) {
    if (tensors[k]->device() != device) throw std::invalid_argument("SquaredNorms: tensors on two devices");
    data[k] = tensors[k]->data();
    sizes[k] = tensors[k]->numel();
  }
  count_host_read(sums_.size() * sizeof(double));  // the sums reach the host: on a GPU, one wait for the device
  if (device == Device::CPU) {
    sum_of_squares_cpu(sums_.data(), data.data(), sizes.data(), K);
    return sums_;
  }
  const size_t needed = static_cast<size_t>(K) * (1 + kSumOfSquaresBlocks);
  if (device_capacity_ < needed) {
    device_ = std::shared_ptr<double>(static_cast<double*>(cuda_alloc(needed * sizeof(double))), cuda_free);
    device_capacity_ = needed;
  }
  sum_of_squares_cuda(device_.get(), data.data(), sizes.data(), K, device_.get() + K);
  cuda_copy_to_host(sums_.data(), device_.get(), sums_.size() * sizeof(double));
  return sums_;
}

}  // namespace ml
