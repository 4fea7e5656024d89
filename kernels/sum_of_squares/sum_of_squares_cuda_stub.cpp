// A CPU-only build links this instead of sum_of_squares_cuda.cu: the entry point throws.
#include "base/cuda_stub.h"
#include "kernels/sum_of_squares/sum_of_squares.h"

namespace ml {

ML_CUDA_STUB(void, sum_of_squares_cuda, double*, const float* const*, const size_t*, int, double*)

}  // namespace ml
