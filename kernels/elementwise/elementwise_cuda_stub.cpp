// A CPU-only build links this instead of elementwise_cuda.cu: every entry point throws.
#include "base/cuda_stub.h"
#include "kernels/elementwise/elementwise.h"

namespace ml {

ML_CUDA_STUB(void, axpby_cuda, float*, const float*, float, float, size_t)
ML_CUDA_STUB(void, sign_feedback_cuda, float*, const float*, const float*, float, size_t)

}  // namespace ml
