#include "training/device_data.h"

#include "engine/host_transfers.h"
#include "kernels/gather/gather.h"

namespace ml {

DeviceData::DeviceData(const Dataset& d, Device device)
    : host_labels_(d.labels), row_size_(static_cast<size_t>(d.C) * d.H * d.W), shape_{d.C, d.H, d.W} {
  images_ = Tensor::from_vector({d.size(), d.C, d.H, d.W}, d.images, device);
  labels_ = IntBuffer(d.labels.size(), device);
  labels_.upload(d.labels.data(), d.labels.size());
}

void DeviceData::gather(Batch& batch, const std::vector<int32_t>& order, int begin, int count) {
  const Device device = images_.device();
  ensure(batch.x, {count, shape_[0], shape_[1], shape_[2]}, device);
  ensure(batch.labels, static_cast<size_t>(count), device);
  batch.host_labels.resize(count);
  const int32_t* index = order.data() + begin;
  for (int i = 0; i < count; ++i) batch.host_labels[i] = host_labels_[index[i]];
  if (device == Device::CUDA) {
    ensure(index_, static_cast<size_t>(count), device);
    index_.upload(index, count);
    gather_rows_cuda(batch.x.data(), batch.labels.data(), images_.data(), labels_.data(), index_.data(), count,
                     row_size_);
  } else {
    count_host_write(count * sizeof(int32_t));  // the indices the GPU path uploads: counted on both devices alike
    gather_rows_cpu(batch.x.data(), batch.labels.data(), images_.data(), labels_.data(), index, count, row_size_);
  }
}

}  // namespace ml
