#include "engine/tensor.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "base/cuda_memory.h"
#include "engine/host_transfers.h"

namespace ml {

size_t shape_numel(const Shape& s) {
  size_t n = 1;
  for (int d : s) {
    if (d < 0) throw std::invalid_argument("negative dimension in shape " + shape_str(s));
    n *= static_cast<size_t>(d);
  }
  return n;
}

std::string shape_str(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

namespace {

// Tensor buffer bookkeeping per device (ml-bench reports it: allocations after
// the first batch mean a per-batch allocation crept in).
struct MemoryCounters {
  std::atomic<uint64_t> allocations{0};
  std::atomic<size_t> live_bytes{0}, peak_bytes{0};
  void add(size_t bytes) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    const size_t live = live_bytes.fetch_add(bytes, std::memory_order_relaxed) + bytes;
    size_t peak = peak_bytes.load(std::memory_order_relaxed);
    while (live > peak && !peak_bytes.compare_exchange_weak(peak, live, std::memory_order_relaxed)) {
    }
  }
  void remove(size_t bytes) { live_bytes.fetch_sub(bytes, std::memory_order_relaxed); }
};
MemoryCounters counters[2];  // CPU, CUDA

MemoryCounters& counters_for(Device device) { return counters[device == Device::CUDA ? 1 : 0]; }

std::shared_ptr<float> allocate(size_t numel, Device device) {
  size_t bytes = std::max<size_t>(numel, 1) * sizeof(float);
  MemoryCounters& c = counters_for(device);
  if (device == Device::CUDA) {
    auto* p = static_cast<float*>(cuda_alloc(bytes));
    c.add(bytes);
    return std::shared_ptr<float>(p, [&c, bytes](float* q) {
      cuda_free(q);
      c.remove(bytes);
    });
  }
  size_t aligned = (bytes + 63) / 64 * 64;  // 64-byte alignment for AVX-512 loads
  auto* p = static_cast<float*>(std::aligned_alloc(64, aligned));
  if (!p) throw std::bad_alloc();
  std::memset(p, 0, aligned);
  c.add(aligned);
  return std::shared_ptr<float>(p, [&c, aligned](float* q) {
    std::free(q);
    c.remove(aligned);
  });
}

}  // namespace

TensorMemoryStats tensor_memory_stats(Device device) {
  const MemoryCounters& c = counters_for(device);
  return {c.allocations.load(), c.live_bytes.load(), c.peak_bytes.load()};
}

Tensor::Tensor(Shape shape, Device device)
    : shape_(std::move(shape)), numel_(shape_numel(shape_)), capacity_(numel_), device_(device),
      buffer_(allocate(numel_, device)) {}

Tensor Tensor::to(Device d) const {
  Tensor out(shape_, d);
  out.copy_from(*this);
  return out;
}

void Tensor::copy_from(const Tensor& src) {
  if (src.numel() != numel_) {
    throw std::invalid_argument("copy_from: " + shape_str(src.shape()) + " into " + shape_str(shape_));
  }
  size_t bytes = numel_ * sizeof(float);
  if (bytes == 0) return;
  if (device_ == Device::CPU && src.device() == Device::CPU) std::memcpy(data(), src.data(), bytes);
  else if (device_ == Device::CUDA && src.device() == Device::CPU) cuda_copy_to_device(data(), src.data(), bytes);
  else if (device_ == Device::CPU && src.device() == Device::CUDA) cuda_copy_to_host(data(), src.data(), bytes);
  else cuda_copy_device_to_device(data(), src.data(), bytes);
}

void Tensor::zero() {
  if (numel_ == 0) return;
  if (device_ == Device::CUDA) cuda_zero(data(), numel_ * sizeof(float));
  else std::memset(data(), 0, numel_ * sizeof(float));
}

std::vector<float> Tensor::to_vector() const {
  std::vector<float> v(numel_);
  if (numel_ == 0) return v;
  count_host_read(numel_ * sizeof(float));
  if (device_ == Device::CUDA) cuda_copy_to_host(v.data(), data(), numel_ * sizeof(float));
  else std::memcpy(v.data(), data(), numel_ * sizeof(float));
  return v;
}

Tensor Tensor::from_vector(const Shape& shape, const std::vector<float>& values, Device d) {
  Tensor cpu(shape, Device::CPU);
  if (values.size() != cpu.numel()) {
    throw std::invalid_argument("from_vector: " + std::to_string(values.size()) + " values for shape " + shape_str(shape));
  }
  if (!values.empty()) std::memcpy(cpu.data(), values.data(), values.size() * sizeof(float));
  count_host_write(values.size() * sizeof(float));
  return d == Device::CPU ? cpu : cpu.to(d);
}

Tensor Tensor::reshaped(const Shape& shape) const {
  if (shape_numel(shape) != numel_) {
    throw std::invalid_argument("reshape " + shape_str(shape_) + " to " + shape_str(shape));
  }
  Tensor t = *this;
  t.shape_ = shape;
  return t;
}

void ensure(Tensor& t, const Shape& shape, Device device) {
  const size_t n = shape_numel(shape);
  if (t.defined() && t.device() == device && t.capacity_ >= n) {
    t.shape_ = shape;
    t.numel_ = n;
    return;
  }
  t = Tensor(shape, device);
}

}  // namespace ml
