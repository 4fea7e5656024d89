// A CPU-only build links this instead of log_softmax_nll_cuda.cu: every entry point throws.
#include "base/cuda_stub.h"
#include "kernels/log_softmax_nll/log_softmax_nll.h"

namespace ml {

ML_CUDA_STUB(void, log_softmax_nll_forward_cuda, float*, float*, const float*, const int32_t*, int, int)
ML_CUDA_STUB(void, log_softmax_nll_backward_cuda, float*, const float*, const int32_t*, int, int, float)

}  // namespace ml
