// A CPU-only build links this instead of maxpool2d_cuda.cu: every entry point throws.
#include "base/cuda_stub.h"
#include "kernels/maxpool2d/maxpool2d.h"

namespace ml {

ML_CUDA_STUB(void, maxpool2d_forward_cuda, float*, int32_t*, const float*, const Pool2dShape&)
ML_CUDA_STUB(void, maxpool2d_backward_cuda, float*, const float*, const int32_t*, const Pool2dShape&)

}  // namespace ml
