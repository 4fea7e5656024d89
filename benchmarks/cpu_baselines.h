// What ml-bench compares our CPU kernels against, on the same shapes and data:
// "eigen": the op as the obvious Eigen code (for convolutions, Caffe's way: per
// sample im2col and one Eigen GEMM, Eigen threading inside the GEMM);
// "loop": a plain loop (OpenMP over samples or planes, whatever the compiler
// vectorises on its own). Both write the same outputs as our kernels.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/conv2d/conv2d.h"
#include "kernels/linear/linear.h"
#include "kernels/maxpool2d/maxpool2d.h"

namespace ml_bench {

// Per-sample scratch for the Caffe-style convolutions (columns of one sample).
struct ConvScratch {
  std::vector<float> cols;
};

void conv_forward_eigen(float* y, const float* x, const float* w, const float* b, const ml::Conv2dShape& s,
                        ConvScratch& scratch);
void conv_backward_input_eigen(float* dx, const float* dy, const float* w, const ml::Conv2dShape& s,
                               ConvScratch& scratch);
void conv_backward_weight_eigen(float* dw, float* db, const float* dy, const float* x, const ml::Conv2dShape& s,
                                ConvScratch& scratch);

void conv_forward_loop(float* y, const float* x, const float* w, const float* b, const ml::Conv2dShape& s);
void conv_backward_input_loop(float* dx, const float* dy, const float* w, const ml::Conv2dShape& s);
void conv_backward_weight_loop(float* dw, float* db, const float* dy, const float* x, const ml::Conv2dShape& s);

void linear_forward_eigen(float* y, const float* x, const float* w, const float* b, const ml::LinearShape& s);
void linear_backward_input_eigen(float* dx, const float* dy, const float* w, const ml::LinearShape& s);
void linear_backward_weight_eigen(float* dw, float* db, const float* dy, const float* x, const ml::LinearShape& s);

void maxpool_forward_loop(float* y, int32_t* argmax, const float* x, const ml::Pool2dShape& s);
void maxpool_backward_loop(float* dx, const float* dy, const int32_t* argmax, const ml::Pool2dShape& s);

void relu_forward_eigen(float* y, const float* x, size_t n);
void relu_backward_eigen(float* dx, const float* dy, const float* y, size_t n);

void log_softmax_nll_loop(float* logp, float* loss, const float* logits, const int32_t* labels, int N, int C);

void sgd_update_eigen(float* w, float* velocity, const float* grad, size_t n, float lr, float momentum);

}  // namespace ml_bench
