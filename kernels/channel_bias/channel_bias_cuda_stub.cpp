// A CPU-only build links this instead of channel_bias_cuda.cu: every entry point throws.
#include "base/cuda_stub.h"
#include "kernels/channel_bias/channel_bias.h"

namespace ml {

ML_CUDA_STUB(void, channel_bias_add_cuda, float*, const float*, int, int, int)
ML_CUDA_STUB(void, channel_bias_grad_cuda, float*, const float*, int, int, int)

}  // namespace ml
