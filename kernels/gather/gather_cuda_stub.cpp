// A CPU-only build links this instead of gather_cuda.cu: every entry point throws.
#include "base/cuda_stub.h"
#include "kernels/gather/gather.h"

namespace ml {

ML_CUDA_STUB(void, gather_rows_cuda, float*, int32_t*, const float*, const int32_t*, const int32_t*, int, size_t)

}  // namespace ml
