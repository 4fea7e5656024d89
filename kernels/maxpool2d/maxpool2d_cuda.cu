// CUDA max pooling (NCHW, no padding, floor mode).
//
// Kernels:
//   maxpool2d_forward_kernel   one thread per output (n,c,p,q): scans its window in the CPU
//                              reference's order with the same comparison (strict '>' keeps the
//                              first maximum; a NaN wins and stays), so y and argmax match it exactly.
//   maxpool2d_backward_kernel  gather, not scatter: one thread per dx element (n,c,h,w) visits the
//                              windows (p,q) that contain it, in increasing p then q, and adds the dy
//                              of those whose argmax is this element. Every dx is written exactly
//                              once (zeros included), with no atomics, so it is deterministic and
//                              correct for overlapping windows (stride < kernel); the order of the
//                              additions is the CPU's, so results agree bit for bit.
// Indices are 32-bit and decoded with FastDiv: the 64-bit divisions and modulos of the first
// version made the backward pass 0.59 of cuDNN's on the LeNet shapes (H200).
#include <climits>
#include <stdexcept>
#include <string>

#include "kernels/fast_div.h"
#include "kernels/launch.cuh"
#include "kernels/maxpool2d/maxpool2d.h"

namespace ml {
namespace {

// Divisors of a flat index: i = (plane * rows + row) * cols + col.
struct PlaneIndex {
  FastDiv by_cols, by_rows;
  int cols, rows;
  PlaneIndex(int rows_, int cols_) : by_cols(cols_), by_rows(rows_), cols(cols_), rows(rows_) {}
};

__global__ void maxpool2d_forward_kernel(float* __restrict__ y, int32_t* __restrict__ argmax,
                                         const float* __restrict__ x, Pool2dShape s, PlaneIndex out, int total) {
  const unsigned flat = blockIdx.x * blockDim.x + threadIdx.x;  // the last block can reach past INT_MAX
  if (flat >= static_cast<unsigned>(total)) return;
  const int i = static_cast<int>(flat);
  const int row_index = out.by_cols.div(i), q = i - row_index * out.cols;
  const int plane = out.by_rows.div(row_index), p = row_index - plane * out.rows;
  const float* in = x + static_cast<size_t>(plane) * s.H * s.W;
  const int h0 = p * s.stride, w0 = q * s.stride;
  int best = h0 * s.W + w0;
  float best_value = in[best];
  for (int r = 0; r < s.kernel; ++r) {
    for (int c = 0; c < s.kernel; ++c) {
      const int idx = (h0 + r) * s.W + w0 + c;
      const float v = in[idx];
      if (v > best_value || (v != v && best_value == best_value)) {
        best_value = v;
        best = idx;
      }
    }
  }
  y[i] = best_value;
  argmax[i] = best;
}

__global__ void maxpool2d_backward_kernel(float* __restrict__ dx, const float* __restrict__ dy,
                                          const int32_t* __restrict__ argmax, Pool2dShape s, PlaneIndex in, FastDiv by_stride,
                                          int P, int Q, int total) {
  const unsigned flat = blockIdx.x * blockDim.x + threadIdx.x;  // the last block can reach past INT_MAX
  if (flat >= static_cast<unsigned>(total)) return;
  const int i = static_cast<int>(flat);
  const int row_index = in.by_cols.div(i), w = i - row_index * in.cols;
  const int plane = in.by_rows.div(row_index), h = row_index - plane * in.rows;
  const int self = h * s.W + w;
  // windows p with p*stride <= h <= p*stride + kernel - 1, and 0 <= p < P (likewise q)
  const int p_lo = h < s.kernel ? 0 : by_stride.div(h - s.kernel) + 1;
  const int p_hi = min(by_stride.div(h), P - 1);
  const int q_lo = w < s.kernel ? 0 : by_stride.div(w - s.kernel) + 1;
  const int q_hi = min(by_stride.div(w), Q - 1);
  const float* g = dy + static_cast<size_t>(plane) * P * Q;
  const int32_t* arg = argmax + static_cast<size_t>(plane) * P * Q;
  float sum = 0.0f;
  for (int p = p_lo; p <= p_hi; ++p) {
    for (int q = q_lo; q <= q_hi; ++q) {
      if (arg[p * Q + q] == self) sum += g[p * Q + q];
    }
  }
  dx[i] = sum;
}

void check_shape(const Pool2dShape& s, const char* who) {
  if (s.N < 0 || s.C <= 0 || s.kernel <= 0 || s.stride <= 0 || s.H < s.kernel || s.W < s.kernel ||
      static_cast<long long>(s.N) * s.C * s.H * s.W > INT_MAX) {  // 32-bit flat indices in the kernels
    throw std::invalid_argument(std::string(who) + ": bad shape N=" + std::to_string(s.N) + " C=" +
                                std::to_string(s.C) + " H=" + std::to_string(s.H) + " W=" + std::to_string(s.W) +
                                " kernel=" + std::to_string(s.kernel) + " stride=" + std::to_string(s.stride));
  }
}

}  // namespace

void maxpool2d_forward_cuda(float* y, int32_t* argmax, const float* x, const Pool2dShape& s) {
  check_shape(s, "maxpool2d_forward_cuda");
  const int P = s.P(), Q = s.Q();
  const long long total = static_cast<long long>(s.N) * s.C * P * Q;
  if (total == 0) return;
  launch_kernel(maxpool2d_forward_kernel, {blocks_for(total), kThreadsPerBlock}, y, argmax, x, s, PlaneIndex(P, Q),
                static_cast<int>(total));
}

void maxpool2d_backward_cuda(float* dx, const float* dy, const int32_t* argmax, const Pool2dShape& s) {
  check_shape(s, "maxpool2d_backward_cuda");
  const long long total = static_cast<long long>(s.N) * s.C * s.H * s.W;
  if (total == 0) return;
  launch_kernel(maxpool2d_backward_kernel, {blocks_for(total), kThreadsPerBlock}, dx, dy, argmax, s,
                PlaneIndex(s.H, s.W), FastDiv(s.stride), s.P(), s.Q(), static_cast<int>(total));
}

}  // namespace ml
