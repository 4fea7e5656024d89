// A CPU-only build links this instead of cuda_memory.cu: no GPU is ever
// reported, and every other entry point throws.
#include "base/cuda_memory.h"
#include "base/cuda_stub.h"

namespace ml {

int cuda_device_count() { return 0; }
ML_CUDA_STUB(void*, cuda_alloc, size_t)
void cuda_free(void*) {}
ML_CUDA_STUB(void, cuda_copy_to_device, void*, const void*, size_t)
ML_CUDA_STUB(void, cuda_copy_to_host, void*, const void*, size_t)
ML_CUDA_STUB(void, cuda_copy_device_to_device, void*, const void*, size_t)
ML_CUDA_STUB(void, cuda_zero, void*, size_t)
ML_CUDA_STUB(void, cuda_synchronize)
ML_CUDA_STUB(std::string, cuda_device_description)

}  // namespace ml
