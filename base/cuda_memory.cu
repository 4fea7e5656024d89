#include "base/cuda_check.h"
#include "base/cuda_memory.h"

namespace ml {

int cuda_device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no device" error
    return 0;
  }
  return n;
}

void* cuda_alloc(size_t bytes) {
  void* p = nullptr;
  CUDA_CHECK(cudaMalloc(&p, bytes));
  CUDA_CHECK(cudaMemset(p, 0, bytes));
  return p;
}

void cuda_free(void* p) { cudaFree(p); }  // no throw: called from destructors
void cuda_copy_to_device(void* dst, const void* src, size_t bytes) { CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice)); }
void cuda_copy_to_host(void* dst, const void* src, size_t bytes) { CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost)); }
void cuda_copy_device_to_device(void* dst, const void* src, size_t bytes) { CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToDevice)); }
void cuda_zero(void* p, size_t bytes) { CUDA_CHECK(cudaMemset(p, 0, bytes)); }
void cuda_synchronize() { CUDA_CHECK(cudaDeviceSynchronize()); }

std::string cuda_device_description() {
  int dev = 0;
  CUDA_CHECK(cudaGetDevice(&dev));
  cudaDeviceProp prop{};
  CUDA_CHECK(cudaGetDeviceProperties(&prop, dev));
  return std::string(prop.name) + " (sm_" + std::to_string(prop.major) + std::to_string(prop.minor) + ")";
}

}  // namespace ml
