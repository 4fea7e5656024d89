// A CPU-only build links this instead of global_avg_pool_cuda.cu: every entry point throws.
#include "base/cuda_stub.h"
#include "kernels/global_avg_pool/global_avg_pool.h"

namespace ml {

ML_CUDA_STUB(void, global_avg_pool_forward_cuda, float*, const float*, int, int, int)
ML_CUDA_STUB(void, global_avg_pool_backward_cuda, float*, const float*, int, int, int)

}  // namespace ml
