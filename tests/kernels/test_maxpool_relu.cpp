// Max pooling and ReLU against naive loops and central differences.
#include <cmath>

#include "kernels/maxpool2d/maxpool2d.h"
#include "kernels/relu/relu.h"
#include "test_util.h"

using ml_test::random_vector;
using ml_test::require_close;

TEST_CASE("maxpool2d forward and backward against a naive window scan", "[maxpool]") {
  struct Case { int N, C, H, W, k, stride; };
  const std::vector<Case> cases = {{2, 3, 8, 8, 2, 2}, {1, 2, 7, 9, 2, 2}, {3, 1, 9, 9, 3, 2}, {2, 2, 5, 6, 3, 1},
                                   {64, 64, 24, 24, 2, 2}};
  uint32_t seed = 1;
  for (const auto& c : cases) {
    ml::Pool2dShape s;
    s.N = c.N, s.C = c.C, s.H = c.H, s.W = c.W, s.kernel = c.k, s.stride = c.stride;
    const int P = s.P(), Q = s.Q();
    auto x = random_vector(static_cast<size_t>(s.N) * s.C * s.H * s.W, seed++);
    auto dy = random_vector(static_cast<size_t>(s.N) * s.C * P * Q, seed++);
    std::vector<float> y(dy.size()), dx(x.size());
    std::vector<int32_t> arg(dy.size());
    ml::maxpool2d_forward_cpu(y.data(), arg.data(), x.data(), s);
    ml::maxpool2d_backward_cpu(dx.data(), dy.data(), arg.data(), s);

    std::vector<float> yref(y.size()), dxref(x.size(), 0.0f);
    for (int plane = 0; plane < s.N * s.C; ++plane)
      for (int p = 0; p < P; ++p)
        for (int q = 0; q < Q; ++q) {
          float best = -INFINITY;
          size_t at = 0;
          for (int r = 0; r < c.k; ++r)
            for (int t = 0; t < c.k; ++t) {
              size_t i = (static_cast<size_t>(plane) * s.H + p * c.stride + r) * s.W + q * c.stride + t;
              if (x[i] > best) best = x[i], at = i;
            }
          size_t o = (static_cast<size_t>(plane) * P + p) * Q + q;
          yref[o] = best;
          dxref[at] += dy[o];
        }
    require_close(y, yref, 0, 0, "maxpool forward");
    require_close(dx, dxref, 1e-6, 1e-6, "maxpool backward");
  }
}

TEST_CASE("maxpool2d keeps the first maximum on ties and propagates NaN", "[maxpool]") {
  for (int k : {2, 3}) {
    ml::Pool2dShape s;
    s.N = 1, s.C = 1, s.H = 6, s.W = 6, s.kernel = k, s.stride = k;
    const int P = s.P(), Q = s.Q();
    // Values drawn from {0, 1}: almost every window ties, and the answer is the
    // first 1 in row-major window order (or the window's first element if all 0).
    std::vector<float> x(36);
    for (int i = 0; i < 36; ++i) x[i] = static_cast<float>((i * 7 + i / 5) % 3 == 0);
    std::vector<float> y(P * Q);
    std::vector<int32_t> arg(P * Q);
    ml::maxpool2d_forward_cpu(y.data(), arg.data(), x.data(), s);
    for (int p = 0; p < P; ++p)
      for (int q = 0; q < Q; ++q) {
        int expect = p * k * 6 + q * k;
        for (int r = 0; r < k && x[expect] == 0.0f; ++r)
          for (int t = 0; t < k; ++t)
            if (x[(p * k + r) * 6 + q * k + t] == 1.0f) {
              expect = (p * k + r) * 6 + q * k + t;
              break;
            }
        CHECK(arg[p * Q + q] == expect);
        CHECK(y[p * Q + q] == x[expect]);
      }
    x[1 * 6 + 1] = NAN;  // last element of the first 2x2 window, inside the first 3x3 one
    ml::maxpool2d_forward_cpu(y.data(), arg.data(), x.data(), s);
    CHECK(std::isnan(y[0]));
    CHECK(arg[0] == 7);
  }
}

TEST_CASE("relu forward and backward", "[relu]") {
  auto x = random_vector(1001, 3);
  auto dy = random_vector(1001, 4);
  std::vector<float> y(x.size()), dx(x.size());
  ml::relu_forward_cpu(y.data(), x.data(), x.size());
  ml::relu_backward_cpu(dx.data(), dy.data(), y.data(), x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    CHECK(y[i] == (x[i] > 0 ? x[i] : 0.0f));
    // central difference of relu away from the kink (|x| > eps)
    if (std::fabs(x[i]) > 1e-3f) {
      const double eps = 1e-4;
      const double num = (std::max(0.0, x[i] + eps) - std::max(0.0, x[i] - eps)) / (2 * eps);
      CHECK(dx[i] == Approx(dy[i] * num).margin(1e-6));
    }
  }
}
