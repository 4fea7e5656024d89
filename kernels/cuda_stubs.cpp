// A CPU-only build (no nvcc found, or ML_ENABLE_CUDA=OFF) links these instead
// of the .cu files: every CUDA entry point throws, and no GPU is ever reported.
#include <stdexcept>
#include <string>

#include "engine/cuda_memory.h"
#include "kernels/conv2d/conv2d.h"
#include "kernels/elementwise/elementwise.h"
#include "kernels/gather/gather.h"
#include "kernels/global_avg_pool/global_avg_pool.h"
#include "kernels/linear/linear.h"
#include "kernels/log_softmax_nll/log_softmax_nll.h"
#include "kernels/maxpool2d/maxpool2d.h"
#include "kernels/optimizer/optimizer_update.h"
#include "kernels/pcn_update/pcn_update.h"
#include "kernels/relu/relu.h"

namespace ml {

[[noreturn]] static void no_cuda(const char* what) {
  throw std::runtime_error(std::string(what) + ": built without CUDA");
}

#define ML_CUDA_STUB(ret, name, ...) \
  ret name(__VA_ARGS__) { no_cuda(#name); }

int cuda_device_count() { return 0; }
ML_CUDA_STUB(void*, cuda_alloc, size_t)
void cuda_free(void*) {}
ML_CUDA_STUB(void, cuda_copy_to_device, void*, const void*, size_t)
ML_CUDA_STUB(void, cuda_copy_to_host, void*, const void*, size_t)
ML_CUDA_STUB(void, cuda_copy_device_to_device, void*, const void*, size_t)
ML_CUDA_STUB(void, cuda_zero, void*, size_t)
ML_CUDA_STUB(void, cuda_synchronize)
ML_CUDA_STUB(std::string, cuda_device_description)

ML_CUDA_STUB(void, conv2d_forward_cuda, float*, const float*, const float*, const float*, const Conv2dShape&)
ML_CUDA_STUB(void, conv2d_backward_input_cuda, float*, const float*, const float*, const Conv2dShape&)
ML_CUDA_STUB(void, conv2d_backward_weight_cuda, float*, float*, const float*, const float*, const Conv2dShape&)
ML_CUDA_STUB(void, linear_forward_cuda, float*, const float*, const float*, const float*, const LinearShape&)
ML_CUDA_STUB(void, linear_backward_input_cuda, float*, const float*, const float*, const LinearShape&)
ML_CUDA_STUB(void, linear_backward_weight_cuda, float*, float*, const float*, const float*, const LinearShape&)
ML_CUDA_STUB(void, sgemm_cuda, bool, bool, int, int, int, float, const float*, const float*, float, float*)
ML_CUDA_STUB(void, relu_forward_cuda, float*, const float*, size_t)
ML_CUDA_STUB(void, relu_backward_cuda, float*, const float*, const float*, size_t)
ML_CUDA_STUB(void, maxpool2d_forward_cuda, float*, int32_t*, const float*, const Pool2dShape&)
ML_CUDA_STUB(void, maxpool2d_backward_cuda, float*, const float*, const int32_t*, const Pool2dShape&)
ML_CUDA_STUB(void, log_softmax_nll_forward_cuda, float*, float*, const float*, const int32_t*, int, int)
ML_CUDA_STUB(void, log_softmax_nll_backward_cuda, float*, const float*, const int32_t*, int, int, float)
ML_CUDA_STUB(void, sgd_update_cuda, float*, float*, const float*, size_t, const SgdConfig&)
ML_CUDA_STUB(void, adam_update_cuda, float*, float*, float*, const float*, size_t, const AdamConfig&, int)
ML_CUDA_STUB(void, sum_squares_cuda, const float* const*, const size_t*, size_t, double*)
ML_CUDA_STUB(void, gather_rows_cuda, float*, int32_t*, const float*, const int32_t*, const int32_t*, int, size_t)
ML_CUDA_STUB(void, axpby_cuda, float*, const float*, float, float, size_t)
ML_CUDA_STUB(void, sign_feedback_cuda, float*, const float*, const float*, float, size_t)
ML_CUDA_STUB(void, global_avg_pool_forward_cuda, float*, const float*, int, int, int)
ML_CUDA_STUB(void, global_avg_pool_backward_cuda, float*, const float*, int, int, int)
ML_CUDA_STUB(void, pcn_blend_forward_cuda, float*, const float*, const float*, const float*, const ChannelShape&)
ML_CUDA_STUB(void, pcn_blend_backward_cuda, float*, float*, float*, const float*, const float*, const float*,
             const float*, const float*, const ChannelShape&, bool, bool)
ML_CUDA_STUB(void, pcn_correct_forward_cuda, float*, const float*, const float*, const float*, const ChannelShape&)
ML_CUDA_STUB(void, pcn_correct_backward_cuda, float*, float*, float*, const float*, const float*, const float*,
             const float*, const ChannelShape&, bool, bool)

}  // namespace ml
