// Log-softmax + NLL against double-precision formulas and central differences.
#include <cmath>

#include "kernels/log_softmax_nll/log_softmax_nll.h"
#include "test_util.h"

using ml_test::random_vector;

namespace {

double loss_double(const std::vector<double>& z, const std::vector<int32_t>& labels, int N, int C) {
  double total = 0;
  for (int n = 0; n < N; ++n) {
    double m = -INFINITY, s = 0;
    for (int c = 0; c < C; ++c) m = std::max(m, z[n * C + c]);
    for (int c = 0; c < C; ++c) s += std::exp(z[n * C + c] - m);
    total += -(z[n * C + labels[n]] - m - std::log(s));
  }
  return total;
}

}  // namespace

TEST_CASE("log_softmax_nll forward and backward", "[loss]") {
  const int N = 7, C = 10;
  auto z = random_vector(N * C, 5, -8.0f, 8.0f);
  std::vector<int32_t> labels = {0, 3, 9, 4, 4, 1, 7};
  std::vector<float> logp(N * C), loss(N), dz(N * C);
  ml::log_softmax_nll_forward_cpu(logp.data(), loss.data(), z.data(), labels.data(), N, C);
  ml::log_softmax_nll_backward_cpu(dz.data(), logp.data(), labels.data(), N, C, 1.0f / N);

  std::vector<double> zd(z.begin(), z.end());
  double sum = 0;
  for (int n = 0; n < N; ++n) {
    double p = 0;
    for (int c = 0; c < C; ++c) p += std::exp(double(logp[n * C + c]));
    CHECK(p == Approx(1.0).epsilon(1e-5));  // probabilities sum to one
    sum += loss[n];
  }
  CHECK(sum == Approx(loss_double(zd, labels, N, C)).epsilon(1e-5));

  for (int i = 0; i < N * C; ++i) {
    const double keep = zd[i], eps = 1e-4;
    zd[i] = keep + eps;
    const double up = loss_double(zd, labels, N, C) / N;
    zd[i] = keep - eps;
    const double down = loss_double(zd, labels, N, C) / N;
    zd[i] = keep;
    CHECK(dz[i] == Approx((up - down) / (2 * eps)).margin(1e-5));
  }
}

TEST_CASE("log_softmax_nll is stable for huge logits", "[loss]") {
  std::vector<float> z = {1000.0f, -1000.0f, 0.0f}, logp(3), loss(1);
  std::vector<int32_t> label = {0};
  ml::log_softmax_nll_forward_cpu(logp.data(), loss.data(), z.data(), label.data(), 1, 3);
  CHECK(loss[0] == Approx(0.0).margin(1e-6));
  CHECK(std::isfinite(logp[1]));
}
