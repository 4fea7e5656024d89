// The launch arithmetic of the kernels' .cu files, in one place: the block size of the
// elementwise and per-channel kernels, the grid that covers n items, and one launch helper
// that takes a stream and checks the launch. Included by .cu files only.
//
// Every launch keeps the grid it had when each file counted its own blocks: the grid-stride
// kernels keep their own cap (kMaxBlocks65536 or kMaxBlocks65535x16), the one-item-per-thread
// kernels have none. The GEMM tile (gemm_tile.cuh) keeps its own kThreads: its tile layout is
// built for that count, a different concept that happens to be 256 too.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

namespace ml {

constexpr int kThreadsPerBlock = 256;

// Grid caps of the grid-stride kernels (each loop covers any n whatever the grid).
constexpr size_t kNoBlockCap = SIZE_MAX;  // one item per thread: the grid must cover every item
constexpr size_t kMaxBlocks65536 = 65536;
constexpr size_t kMaxBlocks65535x16 = 65535 * 16;

// Blocks that cover n items at per_block items per block (one per thread by default), at most
// max_blocks. n == 0 gives 0 blocks, an invalid launch: the callers return before that.
constexpr unsigned blocks_for(size_t n, int per_block = kThreadsPerBlock, size_t max_blocks = kNoBlockCap) {
  const size_t blocks = (n + per_block - 1) / per_block;
  return static_cast<unsigned>(blocks < max_blocks ? blocks : max_blocks);
}

static_assert(blocks_for(1) == 1 && blocks_for(256) == 1 && blocks_for(257) == 2);
static_assert(blocks_for(size_t{65536} * 256 + 1, kThreadsPerBlock, kMaxBlocks65536) == 65536);
static_assert(blocks_for(size_t{1} << 40, kThreadsPerBlock, kMaxBlocks65535x16) == 1048560);

// Grid, block, dynamic shared memory and stream of one launch. The file and line are the
// caller's (default arguments are evaluated where the config is written), so a failed launch
// names the op's own line, as CUDA_CHECK_LAUNCH() written there did.
struct LaunchConfig {
  LaunchConfig(dim3 grid_, dim3 block_, size_t shared_bytes_ = 0, cudaStream_t stream_ = 0,
               const char* file_ = __builtin_FILE(), int line_ = __builtin_LINE())
      : grid(grid_), block(block_), shared_bytes(shared_bytes_), stream(stream_), file(file_), line(line_) {}
  dim3 grid, block;
  size_t shared_bytes;
  cudaStream_t stream;
  const char* file;
  int line;
};

// kernel<<<grid, block, shared_bytes, stream>>>(args...), then the launch check: throws
// "file:line: cudaGetLastError(): <CUDA's message>", the text of CUDA_CHECK_LAUNCH().
template <class Kernel, class... Args>
void launch_kernel(Kernel kernel, const LaunchConfig& c, Args&&... args) {
  kernel<<<c.grid, c.block, c.shared_bytes, c.stream>>>(std::forward<Args>(args)...);
  const cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess) {
    throw std::runtime_error(std::string(c.file) + ":" + std::to_string(c.line) +
                             ": cudaGetLastError(): " + cudaGetErrorString(err));
  }
}

}  // namespace ml
