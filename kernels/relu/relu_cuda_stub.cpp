// A CPU-only build links this instead of relu_cuda.cu: every entry point throws.
#include "base/cuda_stub.h"
#include "kernels/relu/relu.h"

namespace ml {

ML_CUDA_STUB(void, relu_forward_cuda, float*, const float*, size_t)
ML_CUDA_STUB(void, relu_backward_cuda, float*, const float*, const float*, size_t)

}  // namespace ml
