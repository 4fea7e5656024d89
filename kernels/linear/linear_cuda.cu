// CUDA fully connected layer on our own tiled SGEMM (never cuBLAS).
//
// Kernels:
//   gemm_tile_kernel      C tile = sum over a K range of op(A) op(B). A block of 256 threads owns a
//                         BM x BN tile (64x64, or 32x128 when M <= 32 so that a small batch or a
//                         small output count does not waste half the tile); each thread keeps a
//                         4x4 register block of accumulators, strided by BM/4 and BN/4 so that
//                         shared-memory reads are conflict-free and the epilogue's stores coalesce.
//                         K advances in steps of 16 through padded shared tiles; which index of an
//                         operand consecutive threads load (k or m/n) is a template choice per
//                         transpose flag, so global loads are coalesced for all four combinations.
//                         Edges (M, N, K not multiples of the tile) load zeros and skip the store.
//   splitk_reduce_kernel  When there are few output tiles and K is long (fc 9216->128 at batch 64:
//                         2 tiles), the K range is split over gridDim.z; each split writes its own
//                         partial tile to a workspace and this kernel sums the splits in fixed
//                         order (z = 0, 1, ...), then applies alpha, beta and the bias.
//                         No atomics, so results are bit-for-bit repeatable.
//   column_sum_kernel     db[out] = column sums of dy[N,out]: a block of 32x8 threads owns 32
//                         columns, each thread sums a fixed subset of rows in order, and the 8
//                         partial sums are added in fixed order (deterministic, no atomics).
// linear_forward fuses the bias into the GEMM's epilogue (one launch, two with split-K).
// The split-K workspace is grown on first use and kept (no allocation in the batch loop);
// like the CPU path it assumes one caller at a time on the default stream.
#include <algorithm>
#include <stdexcept>
#include <string>

#include "kernels/gemm_tile.cuh"
#include "kernels/launch.cuh"
#include "kernels/linear/linear.h"

namespace ml {
namespace {

// C[m][n] = alpha * acc + beta * C[m][n] + bias[n]; C is not read when beta == 0 (BLAS semantics).
struct SgemmStore {
  float* C;
  int ldc;
  float alpha, beta;
  const float* bias;  // may be null
  __device__ void operator()(int m, int n, float acc) const {
    const size_t i = static_cast<size_t>(m) * ldc + n;
    float v = alpha * acc;
    if (beta != 0.0f) v += beta * C[i];
    if (bias) v += bias[n];
    C[i] = v;
  }
};

// C = alpha op(A) op(B) + beta C + bias (bias per column, may be null).
void gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, const float* B, float beta,
          float* C, const float* bias) {
  if (M < 0 || N < 0 || K < 0) {
    throw std::invalid_argument("sgemm_cuda: negative size M=" + std::to_string(M) + " N=" + std::to_string(N) +
                                " K=" + std::to_string(K));
  }
  if (M == 0 || N == 0) return;
  // A is M x K (row m at A + m*K), or K x M when transposed (column m at A + m, stride M).
  const StridedLoad la = trans_a ? StridedLoad{A, 1, M} : StridedLoad{A, K, 1};
  // B is K x N (column n at B + n, stride N), or N x K when transposed (row n at B + n*K).
  const StridedLoad lb = trans_b ? StridedLoad{B, K, 1} : StridedLoad{B, 1, N};
  const SgemmStore store{C, N, alpha, beta, bias};
  if (!trans_a && !trans_b) launch_gemm<Fast::K, Fast::MN>(M, N, K, la, lb, store);
  else if (!trans_a && trans_b) launch_gemm<Fast::K, Fast::K>(M, N, K, la, lb, store);
  else if (trans_a && !trans_b) launch_gemm<Fast::MN, Fast::MN>(M, N, K, la, lb, store);
  else launch_gemm<Fast::MN, Fast::K>(M, N, K, la, lb, store);
}

// db[col] = sum over rows of dy[row][col]; block (32, 8) owns 32 columns.
__global__ void column_sum_kernel(float* __restrict__ db, const float* __restrict__ dy, int rows, int cols) {
  __shared__ float part[8][32];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int col = blockIdx.x * 32 + tx;
  float sum = 0.0f;
  if (col < cols) {
    for (int r = ty; r < rows; r += 8) sum += dy[static_cast<size_t>(r) * cols + col];
  }
  part[ty][tx] = sum;
  __syncthreads();
  if (ty != 0 || col >= cols) return;
  float total = part[0][tx];
  for (int i = 1; i < 8; ++i) total += part[i][tx];  // fixed order
  db[col] = total;
}

}  // namespace

void sgemm_cuda(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, const float* B,
                float beta, float* C) {
  gemm(trans_a, trans_b, M, N, K, alpha, A, B, beta, C, nullptr);
}

void linear_forward_cuda(float* y, const float* x, const float* w, const float* b, const LinearShape& s) {
  // y[N,out] = x[N,in] w[out,in]^T + b
  gemm(false, true, s.N, s.out, s.in, 1.0f, x, w, 0.0f, y, b);
}

void linear_backward_input_cuda(float* dx, const float* dy, const float* w, const LinearShape& s) {
  // dx[N,in] = dy[N,out] w[out,in]
  gemm(false, false, s.N, s.in, s.out, 1.0f, dy, w, 0.0f, dx, nullptr);
}

void linear_backward_weight_cuda(float* dw, float* db, const float* dy, const float* x, const LinearShape& s) {
  // dw[out,in] = dy[N,out]^T x[N,in]
  gemm(true, false, s.out, s.in, s.N, 1.0f, dy, x, 0.0f, dw, nullptr);
  if (!db || s.out <= 0) return;
  launch_kernel(column_sum_kernel, {static_cast<unsigned>(ceil_div(s.out, 32)), dim3(32, 8)}, db, dy, s.N, s.out);
}

}  // namespace ml
