// CUDA ReLU against the CPU reference: exact (a comparison and a copy, no arithmetic).
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/relu/relu.h"
#include "gpu_test_common.h"

TEST_CASE("relu CUDA kernels match the CPU reference exactly", "[gpu][relu]") {
  uint32_t seed = 1;
  // 64*32*26*26: LeNet conv1's output; 2^24 + 1001 needs more than the 65536-block grid cap
  for (size_t n : {size_t{1}, size_t{7}, size_t{255}, size_t{257}, size_t{1000}, size_t{64} * 32 * 26 * 26,
                   size_t{16777216 + 1001}}) {
    INFO("n=" << n);
    auto x = random_vector(n, seed++);
    auto dy = random_vector(n, seed++);
    x[0] = 0.0f;  // the kink: both sides must say 0 passes nothing
    std::vector<float> y(n), dx(n);
    ml::relu_forward_cpu(y.data(), x.data(), n);
    ml::relu_backward_cpu(dx.data(), dy.data(), y.data(), n);

    Tensor gx = on_gpu(x), gdy = on_gpu(dy), gy = on_gpu(std::vector<float>(n, 5.0f)), gdx = on_gpu(dy);
    ml::relu_forward_cuda(gy.data(), gx.data(), n);
    require_close(gy.to_vector(), y, 0.0, 0.0, "relu forward");
    ml::relu_backward_cuda(gdx.data(), gdy.data(), gy.data(), n);
    require_close(gdx.to_vector(), dx, 0.0, 0.0, "relu backward");

    // in place, as the header allows (y == x, dx == dy)
    ml::relu_forward_cuda(gx.data(), gx.data(), n);
    require_close(gx.to_vector(), y, 0.0, 0.0, "relu forward in place");
    ml::relu_backward_cuda(gdy.data(), gdy.data(), gy.data(), n);
    require_close(gdy.to_vector(), dx, 0.0, 0.0, "relu backward in place");
  }
}

TEST_CASE("relu CUDA maps NaN to 0 like the CPU reference", "[gpu][relu]") {
  std::vector<float> x = {std::numeric_limits<float>::quiet_NaN(), -1.0f, 2.0f};
  std::vector<float> y(3);
  ml::relu_forward_cpu(y.data(), x.data(), 3);
  Tensor gx = on_gpu(x), gy = on_gpu(std::vector<float>(3, 0.0f));
  ml::relu_forward_cuda(gy.data(), gx.data(), 3);
  require_close(gy.to_vector(), y, 0.0, 0.0, "relu NaN");
}
