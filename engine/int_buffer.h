// A resizable int32 buffer on one device: labels, batch indices and pooling
// argmax indices (Tensor is float32 only).
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/device.h"

namespace ml {

class IntBuffer {
 public:
  IntBuffer() = default;
  IntBuffer(size_t n, Device d);  // zero-filled

  int32_t* data() { return buffer_.get(); }
  const int32_t* data() const { return buffer_.get(); }
  size_t size() const { return size_; }
  Device device() const { return device_; }

  void upload(const int32_t* host, size_t n);  // copies n host values into the first n
  std::vector<int32_t> to_vector() const;

 private:
  friend void ensure(IntBuffer& b, size_t n, Device d);
  size_t size_ = 0, capacity_ = 0;
  Device device_ = Device::CPU;
  std::shared_ptr<int32_t> buffer_;
};

// Reallocates only when the buffer is too small or on another device.
void ensure(IntBuffer& b, size_t n, Device d);

}  // namespace ml
