// CUDA convolution (three implicit GEMMs + bias reduction) against the CPU reference
// (im2col + Eigen), over odd sizes, stride, padding, batch 1, non-square kernels,
// both paths of backward-input (stride 1 as a flipped forward; the gather) and
// LeNet's two layers; plus bit-for-bit repeatability of the split-K weight gradient.
#include <cmath>
#include <vector>

#include "kernels/conv2d/conv2d.h"
#include "conv_test_shapes.h"
#include "gpu_test_common.h"

using ml::Conv2dShape;

namespace {

std::vector<Conv2dShape> all_shapes() {
  std::vector<Conv2dShape> shapes = ml_test::odd_conv_shapes();
  shapes.push_back(ml_test::conv_shape(64, 1, 28, 28, 32, 3, 3, 1, 0));   // LeNet conv1
  shapes.push_back(ml_test::conv_shape(64, 32, 26, 26, 64, 3, 3, 1, 0));  // LeNet conv2
  return shapes;
}

}  // namespace

TEST_CASE("conv2d CUDA kernels match the CPU reference", "[gpu][conv2d]") {
  uint32_t seed = 1;
  for (const auto& s : all_shapes()) {
    INFO("N=" << s.N << " C=" << s.C << " H=" << s.H << " W=" << s.W << " K=" << s.K << " R=" << s.R << " S=" << s.S
              << " stride=" << s.stride << " pad=" << s.pad);
    const int P = s.P(), Q = s.Q();
    const size_t nx = static_cast<size_t>(s.N) * s.C * s.H * s.W, nw = static_cast<size_t>(s.K) * s.C * s.R * s.S;
    const size_t ny = static_cast<size_t>(s.N) * s.K * P * Q;
    auto x = random_vector(nx, seed++);
    auto w = random_vector(nw, seed++);
    auto b = random_vector(s.K, seed++);
    auto dy = random_vector(ny, seed++);
    Tensor gx = on_gpu(x), gw = on_gpu(w), gb = on_gpu(b), gdy = on_gpu(dy);

    std::vector<float> y(ny);
    Tensor gy = gpu_zeros(ny);
    ml::conv2d_forward_cpu(y.data(), x.data(), w.data(), b.data(), s);
    ml::conv2d_forward_cuda(gy.data(), gx.data(), gw.data(), gb.data(), s);
    require_close(gy.to_vector(), y, atol_for(static_cast<long long>(s.C) * s.R * s.S), 1e-4, "conv forward");
    ml::conv2d_forward_cpu(y.data(), x.data(), w.data(), nullptr, s);
    ml::conv2d_forward_cuda(gy.data(), gx.data(), gw.data(), nullptr, s);
    require_close(gy.to_vector(), y, atol_for(static_cast<long long>(s.C) * s.R * s.S), 1e-4, "conv forward no bias");

    std::vector<float> dx(nx);
    Tensor gdx = on_gpu(random_vector(nx, 999));  // garbage in: the kernel must overwrite every element
    ml::conv2d_backward_input_cpu(dx.data(), dy.data(), w.data(), s);
    ml::conv2d_backward_input_cuda(gdx.data(), gdy.data(), gw.data(), s);
    require_close(gdx.to_vector(), dx, atol_for(static_cast<long long>(s.K) * s.R * s.S), 1e-4, "conv backward_input");

    std::vector<float> dw(nw), db(s.K);
    Tensor gdw = on_gpu(random_vector(nw, 998)), gdb = on_gpu(random_vector(s.K, 997));
    ml::conv2d_backward_weight_cpu(dw.data(), db.data(), dy.data(), x.data(), s);
    ml::conv2d_backward_weight_cuda(gdw.data(), gdb.data(), gdy.data(), gx.data(), s);
    const long long L = static_cast<long long>(s.N) * P * Q;
    require_close(gdw.to_vector(), dw, atol_for(L), 1e-4, "conv dw");
    require_close(gdb.to_vector(), db, atol_for(L), 1e-4, "conv db");

    Tensor gdw2 = gpu_zeros(nw);
    ml::conv2d_backward_weight_cuda(gdw2.data(), nullptr, gdy.data(), gx.data(), s);
    require_close(gdw2.to_vector(), dw, atol_for(L), 1e-4, "conv dw without db");
  }
}

TEST_CASE("conv2d CUDA kernels are bit-for-bit repeatable", "[gpu][conv2d][determinism]") {
  const Conv2dShape s = ml_test::conv_shape(64, 32, 26, 26, 64, 3, 3, 1, 0);  // LeNet conv2: split-K weight gradient
  const size_t nx = static_cast<size_t>(s.N) * s.C * s.H * s.W, nw = static_cast<size_t>(s.K) * s.C * s.R * s.S;
  const size_t ny = static_cast<size_t>(s.N) * s.K * s.P() * s.Q();
  Tensor gx = on_gpu(random_vector(nx, 1)), gw = on_gpu(random_vector(nw, 2)), gdy = on_gpu(random_vector(ny, 3));
  Tensor dw1 = gpu_zeros(nw), dw2 = gpu_zeros(nw), db1 = gpu_zeros(s.K), db2 = gpu_zeros(s.K);
  Tensor dx1 = gpu_zeros(nx), dx2 = gpu_zeros(nx);
  ml::conv2d_backward_weight_cuda(dw1.data(), db1.data(), gdy.data(), gx.data(), s);
  ml::conv2d_backward_input_cuda(dx1.data(), gdy.data(), gw.data(), s);
  ml::conv2d_backward_weight_cuda(dw2.data(), db2.data(), gdy.data(), gx.data(), s);
  ml::conv2d_backward_input_cuda(dx2.data(), gdy.data(), gw.data(), s);
  CHECK(dw1.to_vector() == dw2.to_vector());
  CHECK(db1.to_vector() == db2.to_vector());
  CHECK(dx1.to_vector() == dx2.to_vector());
}
