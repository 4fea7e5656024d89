// A CPU-only build links this instead of pcn_update_cuda.cu: every entry point throws.
#include "base/cuda_stub.h"
#include "kernels/pcn_update/pcn_update.h"

namespace ml {

ML_CUDA_STUB(void, pcn_blend_forward_cuda, float*, const float*, const float*, const float*, const ChannelShape&)
ML_CUDA_STUB(void, pcn_blend_backward_cuda, float*, float*, float*, const float*, const float*, const float*,
             const float*, const float*, const ChannelShape&, bool, bool)
ML_CUDA_STUB(void, pcn_correct_forward_cuda, float*, const float*, const float*, const float*, const ChannelShape&)
ML_CUDA_STUB(void, pcn_correct_backward_cuda, float*, float*, float*, const float*, const float*, const float*,
             const float*, const ChannelShape&, bool, bool)

}  // namespace ml
