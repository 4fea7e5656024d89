// The convolution shapes the GPU parity test and the CPU test of the GPU's operand
// loaders share: odd sizes, strides 1-3, padding 0-2, even and non-square kernels,
// tile edges, the split-K path and both paths of backward-input.
#pragma once
#include <vector>

#include "kernels/conv2d/conv2d.h"

namespace ml_test {

inline ml::Conv2dShape conv_shape(int N, int C, int H, int W, int K, int R, int S, int stride, int pad) {
  ml::Conv2dShape s;
  s.N = N, s.C = C, s.H = H, s.W = W, s.K = K, s.R = R, s.S = S, s.stride = stride, s.pad = pad;
  return s;
}

// Small enough for a plain loop; add the LeNet's layers at the batch the test can afford.
inline std::vector<ml::Conv2dShape> odd_conv_shapes() {
  const auto& make = conv_shape;
  return {
      make(2, 1, 8, 8, 3, 3, 3, 1, 0),    make(3, 2, 7, 9, 4, 3, 3, 1, 1),     // odd sizes, padding 1
      make(1, 3, 9, 7, 5, 3, 3, 2, 1),    make(2, 4, 6, 6, 2, 1, 1, 1, 0),     // batch 1 stride 2 pad 1; 1x1
      make(2, 2, 11, 10, 3, 5, 5, 2, 2),  make(1, 5, 5, 5, 6, 2, 2, 2, 0),     // pad 2; even kernel
      make(3, 3, 13, 13, 4, 3, 3, 3, 0),  make(2, 3, 12, 10, 5, 3, 2, 2, 1),   // stride 3; non-square kernel
      make(2, 33, 9, 9, 40, 3, 3, 1, 1),  make(3, 7, 10, 11, 65, 3, 3, 2, 1),  // 64x64 tiles, M not a multiple
      make(1, 32, 10, 10, 8, 3, 3, 1, 0), make(1, 64, 6, 6, 33, 3, 3, 1, 1),   // forward on the split-K path
      make(4, 32, 12, 12, 8, 3, 3, 1, 0), make(1, 1, 1, 1, 1, 1, 1, 1, 0),     // the smallest
      make(2, 3, 9, 8, 4, 5, 5, 1, 2),    make(2, 3, 5, 6, 4, 2, 2, 1, 1),     // stride 1, 5x5 and even: flipped
      make(2, 2, 4, 4, 3, 1, 1, 1, 1),    make(2, 3, 7, 6, 2, 3, 2, 1, 1),     // stride 1 gathered: pad > R-1, 3x2
      make(2, 8, 12, 12, 16, 3, 3, 2, 1),                                       // the PCN's stride 2
  };
}

}  // namespace ml_test
