// A CPU-only build links this instead of noise_cuda.cu: every entry point throws.
#include "base/cuda_stub.h"
#include "kernels/noise/noise.h"

namespace ml {

ML_CUDA_STUB(void, add_normal_noise_cuda, float*, const float*, float, uint64_t, size_t)

}  // namespace ml
