// A CPU-only build links this instead of optimizer_update_cuda.cu: every entry point throws.
#include "base/cuda_stub.h"
#include "kernels/optimizer/optimizer_update.h"

namespace ml {

ML_CUDA_STUB(void, sgd_update_cuda, float*, float*, const float*, size_t, const SgdConfig&)
ML_CUDA_STUB(void, adam_update_cuda, float*, float*, float*, const float*, size_t, const AdamConfig&, int)
ML_CUDA_STUB(void, sum_squares_cuda, const float* const*, const size_t*, size_t, double*)

}  // namespace ml
