// CUDA max pooling against the CPU reference. Exact: both pick the window maximum with the
// same comparison in the same order, and the gather backward adds the same dy values in the
// same order (increasing output index) as the CPU's scatter, so no tolerance is needed.
#include <cmath>
#include <vector>

#include "engine/int_buffer.h"
#include "kernels/maxpool2d/maxpool2d.h"
#include "gpu_test_common.h"

TEST_CASE("maxpool2d CUDA kernels match the CPU reference exactly", "[gpu][maxpool]") {
  struct Case {
    int N, C, H, W, k, stride;
    bool ties;  // quantise x to a few levels so windows hold equal maxima (first-max rule)
  };
  const std::vector<Case> cases = {
      {2, 3, 8, 8, 2, 2, false},  {1, 2, 7, 9, 2, 2, false},   {3, 1, 9, 9, 3, 2, false},  // floor mode leftovers
      {2, 2, 5, 6, 3, 1, false},  {2, 2, 11, 7, 3, 2, true},   {1, 1, 10, 10, 4, 1, true},  // overlapping windows
      {1, 3, 6, 6, 2, 3, false},  {1, 1, 2, 2, 2, 2, false},   {2, 2, 8, 8, 2, 2, true},    // stride > kernel
      {64, 64, 24, 24, 2, 2, false},  // LeNet's pool
  };
  uint32_t seed = 1;
  for (const auto& c : cases) {
    ml::Pool2dShape s;
    s.N = c.N, s.C = c.C, s.H = c.H, s.W = c.W, s.kernel = c.k, s.stride = c.stride;
    INFO("N=" << s.N << " C=" << s.C << " H=" << s.H << " W=" << s.W << " kernel=" << s.kernel
              << " stride=" << s.stride << " ties=" << c.ties);
    const size_t nx = static_cast<size_t>(s.N) * s.C * s.H * s.W, ny = static_cast<size_t>(s.N) * s.C * s.P() * s.Q();
    auto x = random_vector(nx, seed++);
    if (c.ties) {
      for (auto& v : x) v = std::round(v * 2.0f);  // values in {-2, -1, 0, 1, 2}
    }
    auto dy = random_vector(ny, seed++);
    std::vector<float> y(ny), dx(nx);
    std::vector<int32_t> arg(ny);
    ml::maxpool2d_forward_cpu(y.data(), arg.data(), x.data(), s);
    ml::maxpool2d_backward_cpu(dx.data(), dy.data(), arg.data(), s);

    Tensor gx = on_gpu(x), gdy = on_gpu(dy), gy = on_gpu(std::vector<float>(ny, 7.0f));
    Tensor gdx = on_gpu(std::vector<float>(nx, 7.0f));  // every dx must be written, zeros included
    ml::IntBuffer garg(ny, Device::CUDA);
    ml::maxpool2d_forward_cuda(gy.data(), garg.data(), gx.data(), s);
    require_close(gy.to_vector(), y, 0.0, 0.0, "maxpool forward");
    CHECK(garg.to_vector() == arg);

    ml::maxpool2d_backward_cuda(gdx.data(), gdy.data(), garg.data(), s);
    require_close(gdx.to_vector(), dx, 0.0, 0.0, "maxpool backward");
  }
}
