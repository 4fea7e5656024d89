// Fully connected layer: y[N,out] = x[N,in] w[out,in]^T + b[out] (PyTorch's layout).
// Every function overwrites its outputs. _cpu: host pointers (Eigen GEMM),
// _cuda: device pointers (our own tiled SGEMM, never cuBLAS).
#pragma once

namespace ml {

struct LinearShape {
  int N = 1, in = 1, out = 1;
};

// b may be null.
void linear_forward_cpu(float* y, const float* x, const float* w, const float* b, const LinearShape& s);
void linear_forward_cuda(float* y, const float* x, const float* w, const float* b, const LinearShape& s);

// dx[N,in] = dy[N,out] w[out,in], with any weight the rule chooses.
void linear_backward_input_cpu(float* dx, const float* dy, const float* w, const LinearShape& s);
void linear_backward_input_cuda(float* dx, const float* dy, const float* w, const LinearShape& s);

// dw[out,in] = dy^T x;  db[out] = column sums of dy (db may be null).
void linear_backward_weight_cpu(float* dw, float* db, const float* dy, const float* x, const LinearShape& s);
void linear_backward_weight_cuda(float* dw, float* db, const float* dy, const float* x, const LinearShape& s);

// The GEMM under linear on CUDA, exposed for tests and benchmarks:
// C[M,N] = alpha * op(A) op(B) + beta * C, row-major, op = transpose when the flag is set.
// A is M x K (K x M when trans_a), B is K x N (N x K when trans_b).
void sgemm_cuda(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, const float* B,
                float beta, float* C);

}  // namespace ml
