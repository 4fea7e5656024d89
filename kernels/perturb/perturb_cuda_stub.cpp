// A CPU-only build links this instead of perturb_cuda.cu: every entry point throws.
#include "base/cuda_stub.h"
#include "kernels/perturb/perturb.h"

namespace ml {

ML_CUDA_STUB(void, perturb_copies_cuda, float*, float*, const float*, float, uint64_t, size_t, int, bool)
ML_CUDA_STUB(void, scale_rows_cuda, float*, const float*, const float*, size_t, size_t)

}  // namespace ml
