// Sums of squares of K float arrays, each in double: predictive coding's energy, per batch and
// inference step. On the GPU only the K sums reach the host, not the arrays (the errors of every
// layer: megabytes per step at batch 64).
//   CPU: one double accumulator per array, in index order.
//   GPU: fixed trees (each of kSumOfSquaresBlocks blocks sums a grid-stride share per thread and its
//        threads' sums in a shared-memory tree; then one block per array sums the blocks' partials in
//        the same tree): the same bits on every run, the CPU's sum to rounding (not its bits).
#pragma once
#include <cstddef>

namespace ml {

constexpr int kSumOfSquaresBlocks = 256;

// out[k] = sum_i double(x[k][i])^2 over n[k] items. Host arrays of K pointers and sizes.
void sum_of_squares_cpu(double* out, const float* const* x, const size_t* n, int K);

// The same on the device: x[k] are device pointers (the array of them on the host), out and
// scratch device memory of K and K * kSumOfSquaresBlocks doubles. Asynchronous: out is ready when
// the stream is.
void sum_of_squares_cuda(double* out, const float* const* x, const size_t* n, int K, double* scratch);

}  // namespace ml
