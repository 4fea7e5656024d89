// The register-blocked tile GEMM shared by the linear and convolution kernels:
// operand loaders are template functors, so the convolutions compute their
// im2col / col2im elements on the fly and the linear layer reads plain
// row-major matrices, all through one kernel. See linear_cuda.cu and
// conv2d_cuda.cu for the design notes. Included by .cu files only.
#pragma once
#include <algorithm>
#include <stdexcept>
#include <string>

#include "base/cuda_check.h"

namespace ml {
namespace {

constexpr int kBK = 16;        // K step of the shared-memory tiles
constexpr int kThreads = 256;  // threads per GEMM block

// Which index of an operand consecutive threads walk when they load a tile:
// K when the operand is contiguous along k, MN when it is contiguous along m (or n).
enum class Fast { K, MN };

int ceil_div(int a, int b) { return (a + b - 1) / b; }

// op(X)[mn][k] for a row-major matrix: base[mn * ld_mn + k * ld_k].
struct StridedLoad {
  const float* base;
  long long ld_mn, ld_k;
  using Ctx = const float*;
  __device__ Ctx context(int mn) const { return base + mn * ld_mn; }
  __device__ float operator()(Ctx row, int k) const { return __ldg(row + k * ld_k); }
};

// Loads one BMN x kBK operand tile into shared memory, transposed to tile[k][mn].
// The per-thread index that stays fixed over the K loop is resolved once (context).
template <int BMN, Fast F, class Load>
struct TileLoader {
  static_assert(kThreads % kBK == 0 && (BMN * kBK) % kThreads == 0, "tile does not divide among threads");
  static_assert(F == Fast::K ? BMN % (kThreads / kBK) == 0 : (kThreads % BMN == 0 && kBK % (kThreads / BMN) == 0),
                "tile does not divide among threads");
  static constexpr int kElems = BMN * kBK / kThreads;  // loads per thread per K step
  static constexpr int kCtx = F == Fast::K ? kElems : 1;

  typename Load::Ctx ctx[kCtx];
  bool valid[kCtx];

  __device__ static int mn_offset(int tid, int l) { return F == Fast::K ? tid / kBK + l * (kThreads / kBK) : tid % BMN; }
  __device__ static int kk_offset(int tid, int l) { return F == Fast::K ? tid % kBK : tid / BMN + l * (kThreads / BMN); }

  __device__ TileLoader(const Load& load, int mn0, int MN, int tid) {
#pragma unroll
    for (int c = 0; c < kCtx; ++c) {
      const int mn = mn0 + mn_offset(tid, c);
      valid[c] = mn < MN;
      ctx[c] = load.context(valid[c] ? mn : mn0);  // mn0 < MN: the block exists
    }
  }

  __device__ void fill(float (*tile)[BMN + 1], const Load& load, int k0, int k_end, int tid) const {
#pragma unroll
    for (int l = 0; l < kElems; ++l) {
      const int c = F == Fast::K ? l : 0;
      const int kk = kk_offset(tid, l), k = k0 + kk;
      tile[kk][mn_offset(tid, l)] = (valid[c] && k < k_end) ? load(ctx[c], k) : 0.0f;
    }
  }
};

// store(m, n, sum over k in [z * k_per_split, min(K, (z+1) * k_per_split)) of op(A)[m][k] op(B)[k][n]),
// z = blockIdx.z.
template <int BM, int BN, Fast FA, Fast FB, class LoadA, class LoadB, class Store>
__global__ void __launch_bounds__(kThreads)
    gemm_tile_kernel(int M, int N, int K, int k_per_split, LoadA load_a, LoadB load_b, Store store) {
  constexpr int TM = 4, TN = 4;
  constexpr int RY = BM / TM, RX = BN / TN;  // thread grid inside the block
  static_assert(RY * RX == kThreads, "block tile does not match the thread count");
  __shared__ float As[kBK][BM + 1];  // +1: threads that walk k store with an odd stride (fewer bank conflicts)
  __shared__ float Bs[kBK][BN + 1];

  const int tid = threadIdx.x;
  const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
  const int k_begin = blockIdx.z * k_per_split;
  const int k_end = min(K, k_begin + k_per_split);
  const TileLoader<BM, FA, LoadA> a(load_a, m0, M, tid);
  const TileLoader<BN, FB, LoadB> b(load_b, n0, N, tid);
  const int tx = tid % RX, ty = tid / RX;

  float acc[TM][TN];
#pragma unroll
  for (int i = 0; i < TM; ++i)
#pragma unroll
    for (int j = 0; j < TN; ++j) acc[i][j] = 0.0f;

  for (int k0 = k_begin; k0 < k_end; k0 += kBK) {
    a.fill(As, load_a, k0, k_end, tid);
    b.fill(Bs, load_b, k0, k_end, tid);
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kBK; ++kk) {
      float ra[TM], rb[TN];
#pragma unroll
      for (int i = 0; i < TM; ++i) ra[i] = As[kk][ty + i * RY];
#pragma unroll
      for (int j = 0; j < TN; ++j) rb[j] = Bs[kk][tx + j * RX];
#pragma unroll
      for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int j = 0; j < TN; ++j) acc[i][j] = fmaf(ra[i], rb[j], acc[i][j]);
    }
    __syncthreads();
  }

#pragma unroll
  for (int i = 0; i < TM; ++i) {
    const int m = m0 + ty + i * RY;
    if (m >= M) continue;
#pragma unroll
    for (int j = 0; j < TN; ++j) {
      const int n = n0 + tx + j * RX;
      if (n < N) store(m, n, acc[i][j]);
    }
  }
}

// Split-K partials: ws[z][m][n].
struct PartialStore {
  float* ws;
  int M, N;
  __device__ void operator()(int m, int n, float v) const {
    ws[(static_cast<size_t>(blockIdx.z) * M + m) * N + n] = v;
  }
};

template <class Store>
__global__ void splitk_reduce_kernel(const float* __restrict__ ws, int M, int N, int splits, Store store) {
  const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const size_t MN = static_cast<size_t>(M) * N;
  if (i >= MN) return;
  float sum = 0.0f;
  for (int z = 0; z < splits; ++z) sum += ws[z * MN + i];  // fixed order: deterministic
  store(static_cast<int>(i / N), static_cast<int>(i % N), sum);
}

// The split-K workspace: grown on first use, then reused call after call.
float* splitk_workspace(size_t floats) {
  static float* buffer = nullptr;
  static size_t capacity = 0;
  if (floats > capacity) {
    if (buffer) CUDA_CHECK(cudaFree(buffer));  // cudaFree waits for kernels still using it
    buffer = nullptr;
    CUDA_CHECK(cudaMalloc(&buffer, floats * sizeof(float)));
    capacity = floats;
  }
  return buffer;
}

struct Split {
  int splits, k_per_split;
};

// Depends on the shape only (not on the GPU), so results are the same on any device.
Split choose_split(long long tiles, int K) {
  constexpr int kTargetBlocks = 256;  // about two waves on 132 SMs
  constexpr int kMinK = 128;          // at least 8 K steps per split
  if (tiles >= kTargetBlocks || K < 2 * kMinK) return {1, K};
  const int splits = static_cast<int>(std::min<long long>((kTargetBlocks + tiles - 1) / tiles, K / kMinK));
  if (splits <= 1) return {1, K};
  const int per = ceil_div(ceil_div(K, splits), kBK) * kBK;
  return {ceil_div(K, per), per};
}

template <int BM, int BN, Fast FA, Fast FB, class LoadA, class LoadB, class Store>
void launch_gemm_config(int M, int N, int K, const LoadA& la, const LoadB& lb, const Store& store) {
  const int tiles_m = ceil_div(M, BM), tiles_n = ceil_div(N, BN);
  if (tiles_m > 65535) throw std::invalid_argument("conv2d_cuda: M too large: " + std::to_string(M));
  const Split sp = choose_split(static_cast<long long>(tiles_m) * tiles_n, K);
  const dim3 grid(tiles_n, tiles_m, sp.splits);
  if (sp.splits == 1) {
    gemm_tile_kernel<BM, BN, FA, FB><<<grid, kThreads>>>(M, N, K, K, la, lb, store);
    CUDA_CHECK_LAUNCH();
    return;
  }
  const size_t MN = static_cast<size_t>(M) * N;
  float* ws = splitk_workspace(MN * sp.splits);
  gemm_tile_kernel<BM, BN, FA, FB><<<grid, kThreads>>>(M, N, K, sp.k_per_split, la, lb, PartialStore{ws, M, N});
  CUDA_CHECK_LAUNCH();
  splitk_reduce_kernel<<<static_cast<unsigned>((MN + 255) / 256), 256>>>(ws, M, N, sp.splits, store);
  CUDA_CHECK_LAUNCH();
}


template <Fast FA, Fast FB, class LoadA, class LoadB, class Store>
void launch_gemm(int M, int N, int K, const LoadA& la, const LoadB& lb, const Store& store) {
  if (M <= 0 || N <= 0) return;
  if (M <= 32) launch_gemm_config<32, 128, FA, FB>(M, N, K, la, lb, store);
  else launch_gemm_config<64, 64, FA, FB>(M, N, K, la, lb, store);
}

}  // namespace
}  // namespace ml
