// The GPU convolutions' implicit-GEMM operands (kernels/conv2d/conv2d_gemm_operands.h:
// the loaders that read im2col / col2im elements on the fly, and the epilogues) run
// here on the CPU through a plain GEMM loop, against the CPU convolution
// (itself checked against a naive double loop in test_conv2d). This checks the
// index arithmetic the GPU runs, on a machine without a GPU: every path of
// backward_input (the stride-1 flipped forward and the gather for any stride),
// odd sizes, strides 1-3, padding 0-2, even and non-square kernels.
#include <vector>

#include "kernels/conv2d/conv2d.h"
#include "kernels/conv2d/conv2d_gemm_operands.h"
#include "conv_test_shapes.h"
#include "test_util.h"

using ml::Conv2dShape;
using ml_test::random_vector;
using ml_test::require_close;

namespace {

// store(m, n, sum over k of A[m][k] B[k][n]) through the loaders, summed in double.
template <class G>
void run_gemm(const G& g) {
  for (int m = 0; m < g.M; ++m) {
    const auto row = g.a.context(m);
    for (int n = 0; n < g.N; ++n) {
      const auto col = g.b.context(n);
      double acc = 0;
      for (int k = 0; k < g.K; ++k) acc += double(g.a(row, k)) * double(g.b(col, k));
      g.store(m, n, static_cast<float>(acc));
    }
  }
}

std::vector<Conv2dShape> all_shapes() {
  std::vector<Conv2dShape> shapes = ml_test::odd_conv_shapes();
  shapes.push_back(ml_test::conv_shape(2, 32, 26, 26, 64, 3, 3, 1, 0));  // LeNet conv2 at batch 2
  return shapes;
}

}  // namespace

TEST_CASE("GPU conv operands: forward, backward-input and backward-weight GEMMs equal the CPU convolution",
          "[conv2d]") {
  uint32_t seed = 1;
  int flipped = 0;
  for (const auto& s : all_shapes()) {
    INFO("N=" << s.N << " C=" << s.C << " H=" << s.H << " W=" << s.W << " K=" << s.K << " R=" << s.R << " S=" << s.S
              << " stride=" << s.stride << " pad=" << s.pad);
    const size_t nx = static_cast<size_t>(s.N) * s.C * s.H * s.W, nw = static_cast<size_t>(s.K) * s.C * s.R * s.S;
    const size_t ny = static_cast<size_t>(s.N) * s.K * s.P() * s.Q();
    const auto x = random_vector(nx, seed++), w = random_vector(nw, seed++), b = random_vector(s.K, seed++);
    const auto dy = random_vector(ny, seed++);

    std::vector<float> y_ref(ny), y(ny, 99.0f);
    ml::conv2d_forward_cpu(y_ref.data(), x.data(), w.data(), b.data(), s);
    run_gemm(ml::conv_gemm::forward(y.data(), x.data(), w.data(), b.data(), s));
    require_close(y, y_ref, 1e-4, 1e-4, "forward");

    std::vector<float> dx_ref(nx), dx(nx, 99.0f);
    ml::conv2d_backward_input_cpu(dx_ref.data(), dy.data(), w.data(), s);
    run_gemm(ml::conv_gemm::backward_input_gather(dx.data(), dy.data(), w.data(), s));
    require_close(dx, dx_ref, 1e-4, 1e-4, "backward input, gather");
    const bool stride1_square = s.stride == 1 && s.R == s.S;
    CHECK(ml::conv_gemm::backward_input_is_flipped_forward(s) == (stride1_square && s.pad <= s.R - 1));
    if (ml::conv_gemm::backward_input_is_flipped_forward(s)) {
      ++flipped;
      std::vector<float> dx_flipped(nx, 99.0f);
      run_gemm(ml::conv_gemm::backward_input_flipped(dx_flipped.data(), dy.data(), w.data(), s));
      require_close(dx_flipped, dx_ref, 1e-4, 1e-4, "backward input, flipped forward");
    }

    std::vector<float> dw_ref(nw), db_ref(s.K), dw(nw, 99.0f);
    ml::conv2d_backward_weight_cpu(dw_ref.data(), db_ref.data(), dy.data(), x.data(), s);
    run_gemm(ml::conv_gemm::backward_weight(dw.data(), dy.data(), x.data(), s));
    require_close(dw, dw_ref, 1e-4, 1e-4, "backward weight");
  }
  CHECK(flipped == 11);  // the stride-1 square-kernel shapes with pad <= R - 1
}
