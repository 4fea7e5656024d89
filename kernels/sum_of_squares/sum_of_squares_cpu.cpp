#include "kernels/sum_of_squares/sum_of_squares.h"

namespace ml {

void sum_of_squares_cpu(double* out, const float* const* x, const size_t* n, int K) {
  for (int k = 0; k < K; ++k) {
    double s = 0;
    for (size_t i = 0; i < n[k]; ++i) s += double(x[k][i]) * x[k][i];
    out[k] = s;
  }
}

}  // namespace ml
