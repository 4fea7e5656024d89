// A CPU-only build links this instead of conv2d_cuda.cu: every entry point throws.
#include "base/cuda_stub.h"
#include "kernels/conv2d/conv2d.h"

namespace ml {

ML_CUDA_STUB(void, conv2d_forward_cuda, float*, const float*, const float*, const float*, const Conv2dShape&)
ML_CUDA_STUB(void, conv2d_backward_input_cuda, float*, const float*, const float*, const Conv2dShape&)
ML_CUDA_STUB(void, conv2d_backward_weight_cuda, float*, float*, const float*, const float*, const Conv2dShape&)

}  // namespace ml
