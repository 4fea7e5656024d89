// Raw device-memory helpers. In a CPU-only build every function throws
// std::runtime_error("built without CUDA") except cuda_device_count (returns 0).
#pragma once
#include <cstddef>
#include <string>

namespace ml {

int cuda_device_count();
void* cuda_alloc(size_t bytes);                         // zero-filled
void cuda_free(void* p);
void cuda_copy_to_device(void* dst, const void* src, size_t bytes);
void cuda_copy_to_host(void* dst, const void* src, size_t bytes);
void cuda_copy_device_to_device(void* dst, const void* src, size_t bytes);
void cuda_zero(void* p, size_t bytes);
void cuda_synchronize();
std::string cuda_device_description();                  // "NVIDIA H100 ... (sm_90)"

}  // namespace ml
