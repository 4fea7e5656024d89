// A CPU-only build links this instead of perturb_cuda.cu (kept beside the op so
// that the shared kernels/cuda_stubs.cpp need not know about it).
#ifndef ML_HAVE_CUDA
#include <stdexcept>

#include "kernels/perturb/perturb.h"

namespace ml {

void perturb_copies_cuda(float*, float*, const float*, float, uint64_t, size_t, int, bool) {
  throw std::runtime_error("perturb_copies_cuda: built without CUDA");
}
void scale_rows_cuda(float*, const float*, const float*, size_t, size_t) {
  throw std::runtime_error("scale_rows_cuda: built without CUDA");
}

}  // namespace ml
#endif
