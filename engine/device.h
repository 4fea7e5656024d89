// Where a tensor's buffer lives. Moving between devices is always explicit.
#pragma once
#include <string>

namespace ml {

enum class Device { CPU, CUDA };

const char* device_name(Device d);

// True when this build has CUDA and a GPU is present and usable.
bool cuda_available();

// Parses "cpu", "cuda" or "auto" (auto = cuda when available). Throws
// std::invalid_argument naming the value when it is unknown, or when "cuda"
// is asked for and no GPU can be used.
Device parse_device(const std::string& name);

}  // namespace ml

// The one place that picks an op's path: ML_ON_DEVICE(d, relu_forward, args...)
// calls relu_forward_cuda(args...) when d is Device::CUDA, else
// relu_forward_cpu(args...), the two twins every kernels/<op>/<op>.h declares.
// In a CPU-only build the _cuda name is the op's stub (<op>_cuda_stub.cpp),
// which throws "built without CUDA". Layers and rules call ops through it
// wherever both paths take the same arguments.
#define ML_ON_DEVICE(device, op, ...) \
  ((device) == ::ml::Device::CUDA ? op##_cuda(__VA_ARGS__) : op##_cpu(__VA_ARGS__))
