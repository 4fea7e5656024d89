#include "engine/int_buffer.h"

#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "base/cuda_memory.h"
#include "engine/host_transfers.h"

namespace ml {

IntBuffer::IntBuffer(size_t n, Device d) : size_(n), capacity_(n), device_(d) {
  size_t bytes = std::max<size_t>(n, 1) * sizeof(int32_t);
  if (d == Device::CUDA) {
    buffer_ = std::shared_ptr<int32_t>(static_cast<int32_t*>(cuda_alloc(bytes)), [](int32_t* p) { cuda_free(p); });
  } else {
    auto* p = static_cast<int32_t*>(std::calloc(1, bytes));
    if (!p) throw std::bad_alloc();
    buffer_ = std::shared_ptr<int32_t>(p, [](int32_t* q) { std::free(q); });
  }
}

void IntBuffer::upload(const int32_t* host, size_t n) {
  if (n > size_) throw std::invalid_argument("IntBuffer::upload: " + std::to_string(n) + " > " + std::to_string(size_));
  if (n == 0) return;
  count_host_write(n * sizeof(int32_t));
  if (device_ == Device::CUDA) cuda_copy_to_device(data(), host, n * sizeof(int32_t));
  else std::memcpy(data(), host, n * sizeof(int32_t));
}

std::vector<int32_t> IntBuffer::to_vector() const {
  std::vector<int32_t> v(size_);
  if (size_ == 0) return v;
  count_host_read(size_ * sizeof(int32_t));
  if (device_ == Device::CUDA) cuda_copy_to_host(v.data(), data(), size_ * sizeof(int32_t));
  else std::memcpy(v.data(), data(), size_ * sizeof(int32_t));
  return v;
}

void ensure(IntBuffer& b, size_t n, Device d) {
  if (b.data() && b.device() == d && b.capacity_ >= n) {
    b.size_ = n;
    return;
  }
  b = IntBuffer(n, d);
}

}  // namespace ml
