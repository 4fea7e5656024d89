// Linear CPU kernels against a naive double loop and central differences.
#include <cmath>

#include "kernels/linear/linear.h"
#include "test_util.h"

using ml_test::random_vector;
using ml_test::require_close;

namespace {

std::vector<double> naive_linear(const std::vector<double>& x, const std::vector<double>& w,
                                 const std::vector<double>& b, const ml::LinearShape& s) {
  std::vector<double> y(static_cast<size_t>(s.N) * s.out);
  for (int n = 0; n < s.N; ++n)
    for (int o = 0; o < s.out; ++o) {
      double acc = b.empty() ? 0.0 : b[o];
      for (int i = 0; i < s.in; ++i) acc += x[static_cast<size_t>(n) * s.in + i] * w[static_cast<size_t>(o) * s.in + i];
      y[static_cast<size_t>(n) * s.out + o] = acc;
    }
  return y;
}

}  // namespace

TEST_CASE("linear forward and gradients against naive loops and differences", "[linear]") {
  const std::vector<ml::LinearShape> shapes = {{1, 1, 1}, {3, 7, 5}, {17, 33, 9}, {64, 300, 10}, {5, 1000, 31}};
  uint32_t seed = 1;
  for (const auto& s : shapes) {
    auto x = random_vector(static_cast<size_t>(s.N) * s.in, seed++);
    auto w = random_vector(static_cast<size_t>(s.out) * s.in, seed++);
    auto b = random_vector(s.out, seed++);
    auto r = random_vector(static_cast<size_t>(s.N) * s.out, seed++);
    std::vector<double> xd(x.begin(), x.end()), wd(w.begin(), w.end()), bd(b.begin(), b.end());

    std::vector<float> y(static_cast<size_t>(s.N) * s.out);
    ml::linear_forward_cpu(y.data(), x.data(), w.data(), b.data(), s);
    auto yref = naive_linear(xd, wd, bd, s);
    // float sums of up to 1000 products of size <= 1: 1e-4 abs
    require_close(y, std::vector<float>(yref.begin(), yref.end()), 1e-4, 1e-5, "linear forward");

    std::vector<float> dx(x.size()), dw(w.size()), db(b.size());
    ml::linear_backward_input_cpu(dx.data(), r.data(), w.data(), s);
    ml::linear_backward_weight_cpu(dw.data(), db.data(), r.data(), x.data(), s);
    auto loss = [&]() {
      auto yy = naive_linear(xd, wd, bd, s);
      double l = 0;
      for (size_t i = 0; i < yy.size(); ++i) l += yy[i] * r[i];
      return l;
    };
    auto check = [&](std::vector<double>& v, const std::vector<float>& analytic, const char* what) {
      const size_t step = std::max<size_t>(1, v.size() / 30);
      for (size_t i = 0; i < v.size(); i += step) {
        const double keep = v[i], eps = 1e-3;
        v[i] = keep + eps;
        const double up = loss();
        v[i] = keep - eps;
        const double down = loss();
        v[i] = keep;
        const double num = (up - down) / (2 * eps);
        INFO(what << " index " << i << " analytic " << analytic[i] << " numeric " << num);
        CHECK(std::fabs(analytic[i] - num) <= 1e-4 * std::max({1.0, std::fabs(num)}));
      }
    };
    check(xd, dx, "dx");
    check(wd, dw, "dw");
    check(bd, db, "db");
  }
}
