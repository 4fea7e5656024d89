// CUDA parameter updates (PyTorch's SGD and Adam semantics, see the header).
//
// Kernels:
//   sgd_update_kernel   one element per thread, grid-stride; two instantiations (with and
//                       without momentum) so the velocity buffer is untouched (may be null)
//                       when momentum == 0, as on the CPU.
//   adam_update_kernel  one element per thread, grid-stride; the bias corrections 1 - beta^t are
//                       computed once on the host exactly as the CPU reference does.
//   sum_squares_kernel  one block of 1024 threads: grid-stride partial sums in double, then a
//                       fixed tree, so the result does not depend on timing (no atomics).
//                       Used only under gradient-norm clipping, one launch per parameter into
//                       its own slot and one read-back for all; one block is enough for the
//                       LeNet's 1.2M-value fc1 and keeps it deterministic without a second pass.
// Elementwise and memory-bound: 256 threads per block, at most 65536 blocks.
#include <cmath>

#include "base/cuda_check.h"
#include "kernels/launch.cuh"
#include "kernels/optimizer/optimizer_update.h"

namespace ml {
namespace {

template <bool kMomentum>
__global__ void sgd_update_kernel(float* __restrict__ w, float* __restrict__ velocity, const float* __restrict__ grad,
                                  size_t n, SgdConfig c) {
  for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    if constexpr (kMomentum) {
      const float v = c.momentum * velocity[i] + c.grad_scale * grad[i] + c.weight_decay * w[i];
      velocity[i] = v;
      w[i] -= c.lr * v;
    } else {
      w[i] -= c.lr * (c.grad_scale * grad[i] + c.weight_decay * w[i]);
    }
  }
}

__global__ void adam_update_kernel(float* __restrict__ w, float* __restrict__ m, float* __restrict__ v,
                                   const float* __restrict__ grad, size_t n, AdamConfig c, float bias1, float bias2) {
  for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const float wi = w[i];
    const float g = c.grad_scale * grad[i] + c.weight_decay * wi;
    const float mi = c.beta1 * m[i] + (1.0f - c.beta1) * g;
    const float vi = c.beta2 * v[i] + (1.0f - c.beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    w[i] = wi - c.lr * (mi / bias1) / (sqrtf(vi / bias2) + c.eps);
  }
}

constexpr int kSumThreads = 1024;

__global__ void sum_squares_kernel(const float* __restrict__ x, size_t n, double* __restrict__ out) {
  __shared__ double partial[kSumThreads];
  double sum = 0.0;
  for (size_t i = threadIdx.x; i < n; i += kSumThreads) sum += static_cast<double>(x[i]) * x[i];
  partial[threadIdx.x] = sum;
  __syncthreads();
  for (int half = kSumThreads / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) partial[threadIdx.x] += partial[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) *out = partial[0];
}

}  // namespace

void sum_squares_cuda(const float* const* arrays, const size_t* sizes, size_t count, double* sums) {
  if (count == 0) return;
  // grown, never shrunk: after the first step there is no allocation in the batch loop
  static double* results = nullptr;
  static size_t capacity = 0;
  if (count > capacity) {
    if (results != nullptr) CUDA_CHECK(cudaFree(results));
    CUDA_CHECK(cudaMalloc(&results, count * sizeof(double)));
    capacity = count;
  }
  for (size_t k = 0; k < count; ++k) {
    if (sizes[k] == 0) {
      CUDA_CHECK(cudaMemsetAsync(results + k, 0, sizeof(double)));
      continue;
    }
    launch_kernel(sum_squares_kernel, {1, kSumThreads}, arrays[k], sizes[k], results + k);
  }
  CUDA_CHECK(cudaMemcpy(sums, results, count * sizeof(double), cudaMemcpyDeviceToHost));
}

void sgd_update_cuda(float* w, float* velocity, const float* grad, size_t n, const SgdConfig& c) {
  if (n == 0) return;
  const LaunchConfig config{blocks_for(n, kThreadsPerBlock, kMaxBlocks65536), kThreadsPerBlock};
  if (c.momentum == 0.0f) launch_kernel(sgd_update_kernel<false>, config, w, velocity, grad, n, c);
  else launch_kernel(sgd_update_kernel<true>, config, w, velocity, grad, n, c);
}

void adam_update_cuda(float* w, float* m, float* v, const float* grad, size_t n, const AdamConfig& c, int step) {
  if (n == 0) return;
  const float bias1 = 1.0f - std::pow(c.beta1, static_cast<float>(step));
  const float bias2 = 1.0f - std::pow(c.beta2, static_cast<float>(step));
  launch_kernel(adam_update_kernel, {blocks_for(n, kThreadsPerBlock, kMaxBlocks65536), kThreadsPerBlock}, w, m, v, grad,
                n, c, bias1, bias2);
}

}  // namespace ml
