// Conv2d CPU kernels against an independent oracle: a naive double-precision
// direct convolution written here, and central differences of it.
#include <cmath>
#include <vector>

#include "conv_test_shapes.h"
#include "kernels/conv2d/conv2d.h"
#include "test_util.h"

using ml::Conv2dShape;
using ml_test::random_vector;
using ml_test::require_close;

namespace {

std::vector<double> naive_conv(const std::vector<double>& x, const std::vector<double>& w,
                               const std::vector<double>& b, const Conv2dShape& s) {
  const int P = s.P(), Q = s.Q();
  std::vector<double> y(static_cast<size_t>(s.N) * s.K * P * Q);
  for (int n = 0; n < s.N; ++n)
    for (int k = 0; k < s.K; ++k)
      for (int p = 0; p < P; ++p)
        for (int q = 0; q < Q; ++q) {
          double acc = b.empty() ? 0.0 : b[k];
          for (int c = 0; c < s.C; ++c)
            for (int r = 0; r < s.R; ++r)
              for (int t = 0; t < s.S; ++t) {
                const int h = p * s.stride + r - s.pad, v = q * s.stride + t - s.pad;
                if (h < 0 || h >= s.H || v < 0 || v >= s.W) continue;
                acc += x[((static_cast<size_t>(n) * s.C + c) * s.H + h) * s.W + v] *
                       w[((static_cast<size_t>(k) * s.C + c) * s.R + r) * s.S + t];
              }
          y[((static_cast<size_t>(n) * s.K + k) * P + p) * Q + q] = acc;
        }
  return y;
}

// Both backward passes as one scatter over the forward's index map, in double:
// dx[n][c][h][v] += w[k][c][r][t] dy[n][k][p][q], dw[k][c][r][t] += x[n][c][h][v] dy[n][k][p][q].
void naive_conv_backward(std::vector<double>& dx, std::vector<double>& dw, const std::vector<double>& x,
                         const std::vector<double>& w, const std::vector<double>& dy, const Conv2dShape& s) {
  const int P = s.P(), Q = s.Q();
  dx.assign(x.size(), 0.0);
  dw.assign(w.size(), 0.0);
  for (int n = 0; n < s.N; ++n)
    for (int k = 0; k < s.K; ++k)
      for (int p = 0; p < P; ++p)
        for (int q = 0; q < Q; ++q) {
          const double g = dy[((static_cast<size_t>(n) * s.K + k) * P + p) * Q + q];
          for (int c = 0; c < s.C; ++c)
            for (int r = 0; r < s.R; ++r)
              for (int t = 0; t < s.S; ++t) {
                const int h = p * s.stride + r - s.pad, v = q * s.stride + t - s.pad;
                if (h < 0 || h >= s.H || v < 0 || v >= s.W) continue;
                const size_t xi = ((static_cast<size_t>(n) * s.C + c) * s.H + h) * s.W + v;
                const size_t wi = ((static_cast<size_t>(k) * s.C + c) * s.R + r) * s.S + t;
                dx[xi] += w[wi] * g;
                dw[wi] += x[xi] * g;
              }
        }
}

std::vector<double> to_double(const std::vector<float>& v) { return {v.begin(), v.end()}; }
std::vector<float> to_float(const std::vector<double>& v) { return {v.begin(), v.end()}; }

double dot(const std::vector<double>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

Conv2dShape make(int N, int C, int H, int W, int K, int R, int stride, int pad) {
  Conv2dShape s;
  s.N = N, s.C = C, s.H = H, s.W = W, s.K = K, s.R = s.S = R, s.stride = stride, s.pad = pad;
  return s;
}

const std::vector<Conv2dShape> shapes = {
    make(2, 1, 8, 8, 3, 3, 1, 0),   make(3, 2, 7, 9, 4, 3, 1, 1),  make(1, 3, 9, 7, 5, 3, 2, 1),
    make(2, 4, 6, 6, 2, 1, 1, 0),   make(2, 2, 11, 10, 3, 5, 2, 2), make(1, 5, 5, 5, 6, 2, 2, 0),
    make(3, 3, 13, 13, 4, 3, 3, 0), make(4, 32, 12, 12, 8, 3, 1, 0),
};

}  // namespace

TEST_CASE("conv2d forward matches a naive double loop", "[conv2d]") {
  uint32_t seed = 1;
  for (const auto& s : shapes) {
    auto x = random_vector(static_cast<size_t>(s.N) * s.C * s.H * s.W, seed++);
    auto w = random_vector(static_cast<size_t>(s.K) * s.C * s.R * s.S, seed++);
    auto b = random_vector(s.K, seed++);
    std::vector<float> y(static_cast<size_t>(s.N) * s.K * s.P() * s.Q());
    ml::conv2d_forward_cpu(y.data(), x.data(), w.data(), b.data(), s);
    // float accumulation over C*R*S <= 288 terms of size <= 1: 1e-5 abs is ample
    require_close(y, to_float(naive_conv(to_double(x), to_double(w), to_double(b), s)), 1e-5, 1e-5, "conv forward");
    std::vector<float> y_nobias(y.size());
    ml::conv2d_forward_cpu(y_nobias.data(), x.data(), w.data(), nullptr, s);
    require_close(y_nobias, to_float(naive_conv(to_double(x), to_double(w), {}, s)), 1e-5, 1e-5, "conv no bias");
  }
}

TEST_CASE("conv2d gradients match central differences in double", "[conv2d][grad]") {
  uint32_t seed = 100;
  for (const auto& s : shapes) {
    auto x = random_vector(static_cast<size_t>(s.N) * s.C * s.H * s.W, seed++);
    auto w = random_vector(static_cast<size_t>(s.K) * s.C * s.R * s.S, seed++);
    auto b = random_vector(s.K, seed++);
    const size_t ny = static_cast<size_t>(s.N) * s.K * s.P() * s.Q();
    auto r = random_vector(ny, seed++);  // loss = sum(y * r), so dL/dy = r
    std::vector<float> dx(x.size()), dw(w.size()), db(b.size());
    ml::conv2d_backward_input_cpu(dx.data(), r.data(), w.data(), s);
    ml::conv2d_backward_weight_cpu(dw.data(), db.data(), r.data(), x.data(), s);

    auto xd = to_double(x), wd = to_double(w), bd = to_double(b);
    const double eps = 1e-3;
    auto numeric = [&](std::vector<double>& v, size_t i) {
      const double keep = v[i];
      v[i] = keep + eps;
      const double up = dot(naive_conv(xd, wd, bd, s), r);
      v[i] = keep - eps;
      const double down = dot(naive_conv(xd, wd, bd, s), r);
      v[i] = keep;
      return (up - down) / (2 * eps);
    };
    // the loss is linear in each variable, so the difference is exact up to rounding
    auto check = [&](std::vector<double>& v, const std::vector<float>& analytic, const char* what) {
      const size_t step = std::max<size_t>(1, v.size() / 40);  // ~40 indices per tensor
      for (size_t i = 0; i < v.size(); i += step) {
        const double num = numeric(v, i);
        INFO(what << " index " << i << " analytic " << analytic[i] << " numeric " << num);
        CHECK(std::fabs(analytic[i] - num) <= 1e-4 * std::max({1.0, std::fabs(num), std::fabs(double(analytic[i]))}));
      }
    };
    check(xd, dx, "dx");
    check(wd, dw, "dw");
    check(bd, db, "db");
  }
}

TEST_CASE("conv2d forward and both backward passes match naive loops on every element", "[conv2d]") {
  // The shapes the GPU kernels are checked on: strides 1-3, padding beyond the
  // kernel, non-square kernels, and the PCN's stride 2 (im2col's and col2im's edges).
  uint32_t seed = 500;
  for (const Conv2dShape& s : ml_test::odd_conv_shapes()) {
    INFO("N=" << s.N << " C=" << s.C << " H=" << s.H << " W=" << s.W << " K=" << s.K << " R=" << s.R << " S=" << s.S
              << " stride=" << s.stride << " pad=" << s.pad);
    auto x = random_vector(static_cast<size_t>(s.N) * s.C * s.H * s.W, seed++);
    auto w = random_vector(static_cast<size_t>(s.K) * s.C * s.R * s.S, seed++);
    auto dy = random_vector(static_cast<size_t>(s.N) * s.K * s.P() * s.Q(), seed++);
    std::vector<float> y(dy.size()), dx(x.size()), dw(w.size());
    ml::conv2d_forward_cpu(y.data(), x.data(), w.data(), nullptr, s);
    ml::conv2d_backward_input_cpu(dx.data(), dy.data(), w.data(), s);
    ml::conv2d_backward_weight_cpu(dw.data(), nullptr, dy.data(), x.data(), s);
    std::vector<double> dx_ref, dw_ref;
    naive_conv_backward(dx_ref, dw_ref, to_double(x), to_double(w), to_double(dy), s);
    // float sums of at most a few thousand terms of size <= 1
    require_close(y, to_float(naive_conv(to_double(x), to_double(w), {}, s)), 1e-5, 1e-5, "conv forward");
    require_close(dx, to_float(dx_ref), 1e-5, 1e-5, "conv backward input");
    require_close(dw, to_float(dw_ref), 1e-4, 1e-5, "conv backward weight");
  }
}

TEST_CASE("conv2d backward_input uses the weight it is given", "[conv2d]") {
  const Conv2dShape s = make(2, 3, 7, 7, 4, 3, 1, 1);
  auto w = random_vector(static_cast<size_t>(s.K) * s.C * 9, 7);
  auto dy = random_vector(static_cast<size_t>(s.N) * s.K * s.P() * s.Q(), 8);
  std::vector<float> w2(w.size());
  for (size_t i = 0; i < w.size(); ++i) w2[i] = 2.0f * w[i];
  std::vector<float> dx1(static_cast<size_t>(s.N) * s.C * s.H * s.W), dx2(dx1.size());
  ml::conv2d_backward_input_cpu(dx1.data(), dy.data(), w.data(), s);
  ml::conv2d_backward_input_cpu(dx2.data(), dy.data(), w2.data(), s);
  for (auto& v : dx1) v *= 2.0f;
  require_close(dx2, dx1, 1e-6, 1e-6, "linear in the feedback weight");
}
