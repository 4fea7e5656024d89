// Tensor: a shape, a device and a float32 buffer. No graph, no autograd.
// Copying a Tensor copies the handle (the buffer is shared); clone() copies data.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/device.h"

namespace ml {

using Shape = std::vector<int>;

size_t shape_numel(const Shape& s);
std::string shape_str(const Shape& s);  // "[64, 32, 26, 26]"

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(Shape shape, Device device = Device::CPU);  // zero-filled

  const Shape& shape() const { return shape_; }
  int dim(int i) const { return shape_.at(static_cast<size_t>(i < 0 ? i + static_cast<int>(shape_.size()) : i)); }
  int ndim() const { return static_cast<int>(shape_.size()); }
  size_t numel() const { return numel_; }
  size_t capacity() const { return capacity_; }  // floats the buffer holds (>= numel)
  Device device() const { return device_; }
  bool empty() const { return numel_ == 0; }
  bool defined() const { return buffer_ != nullptr; }

  float* data() { return buffer_.get(); }
  const float* data() const { return buffer_.get(); }

  Tensor to(Device d) const;          // a copy on device d (a copy even when d == device())
  Tensor clone() const { return to(device_); }
  void copy_from(const Tensor& src);  // same numel; any devices
  void zero();
  std::vector<float> to_vector() const;  // host copy of the values
  static Tensor from_vector(const Shape& shape, const std::vector<float>& values, Device d = Device::CPU);

  // Same buffer, new shape of the same numel (Flatten uses it).
  Tensor reshaped(const Shape& shape) const;

 private:
  friend void ensure(Tensor& t, const Shape& shape, Device device);
  Shape shape_;
  size_t numel_ = 0, capacity_ = 0;
  Device device_ = Device::CPU;
  std::shared_ptr<float> buffer_;
};

// Tensor buffers allocated so far on a device, and the bytes they hold now and
// at most (Tensor buffers only: not IntBuffer, Eigen temporaries or cuBLAS workspaces).
struct TensorMemoryStats {
  uint64_t allocations = 0;
  size_t live_bytes = 0, peak_bytes = 0;
};
TensorMemoryStats tensor_memory_stats(Device device);

// Makes t a tensor of this shape on this device, reallocating only when the
// buffer is too small or on another device: workspaces keep their buffer batch
// after batch, also across a smaller last batch. The contents are unspecified.
void ensure(Tensor& t, const Shape& shape, Device device);

}  // namespace ml
