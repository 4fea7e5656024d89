// CUDA batch assembly from a data set kept whole on the device.
//
// Kernels:
//   gather_rows_kernel  one block per destination row (grid-stride over rows), its threads copy
//                       the row's floats with consecutive threads on consecutive floats (coalesced,
//                       no division per element); thread 0 also copies the row's label.
// index must hold valid row numbers of src: the device cannot report a bad one.
#include <algorithm>

#include "kernels/gather/gather.h"
#include "kernels/launch.cuh"

namespace ml {
namespace {

__global__ void gather_rows_kernel(float* __restrict__ dst, int32_t* __restrict__ labels_dst,
                                   const float* __restrict__ src, const int32_t* __restrict__ labels_src,
                                   const int32_t* __restrict__ index, int rows, size_t row_size) {
  for (int row = blockIdx.x; row < rows; row += gridDim.x) {
    const int32_t from = index[row];
    const float* in = src + static_cast<size_t>(from) * row_size;
    float* out = dst + static_cast<size_t>(row) * row_size;
    for (size_t j = threadIdx.x; j < row_size; j += blockDim.x) out[j] = in[j];
    if (threadIdx.x == 0 && labels_dst && labels_src) labels_dst[row] = labels_src[from];
  }
}

}  // namespace

void gather_rows_cuda(float* dst, int32_t* labels_dst, const float* src, const int32_t* labels_src,
                      const int32_t* index, int rows, size_t row_size) {
  if (rows <= 0) return;
  const unsigned blocks = static_cast<unsigned>(std::min(rows, 65536));
  launch_kernel(gather_rows_kernel, {blocks, kThreadsPerBlock}, dst, labels_dst, src, labels_src, index, rows,
                row_size);
}

}  // namespace ml
