// A data set held whole on the training device, and the minibatches cut from it
// (one gather kernel per batch; nothing is allocated after the first batch).
#pragma once
#include <cstdint>
#include <vector>

#include "datasets/dataset.h"
#include "engine/batch.h"
#include "engine/int_buffer.h"
#include "engine/tensor.h"

namespace ml {

class DeviceData {
 public:
  DeviceData(const Dataset& d, Device device);

  int size() const { return static_cast<int>(host_labels_.size()); }

  // Fills batch with the samples order[begin, begin + count).
  void gather(Batch& batch, const std::vector<int32_t>& order, int begin, int count);

 private:
  Tensor images_;
  IntBuffer labels_, index_;
  std::vector<int32_t> host_labels_;
  size_t row_size_;
  Shape shape_;
};

}  // namespace ml
