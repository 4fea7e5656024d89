// A CPU-only build links this instead of linear_cuda.cu: every entry point throws.
#include "base/cuda_stub.h"
#include "kernels/linear/linear.h"

namespace ml {

ML_CUDA_STUB(void, linear_forward_cuda, float*, const float*, const float*, const float*, const LinearShape&)
ML_CUDA_STUB(void, linear_backward_input_cuda, float*, const float*, const float*, const LinearShape&)
ML_CUDA_STUB(void, linear_backward_weight_cuda, float*, float*, const float*, const float*, const LinearShape&)
ML_CUDA_STUB(void, sgemm_cuda, bool, bool, int, int, int, float, const float*, const float*, float, float*)

}  // namespace ml
