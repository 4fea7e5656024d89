// SGD and Adam updates against PyTorch's update rules written out here.
#include <cmath>

#include "kernels/optimizer/optimizer_update.h"
#include "test_util.h"

TEST_CASE("sgd with momentum and weight decay follows torch.optim.SGD", "[optim]") {
  auto w = ml_test::random_vector(100, 1);
  std::vector<float> v(100, 0.0f);
  std::vector<double> wr(w.begin(), w.end()), vr(100, 0.0);
  ml::SgdConfig c{0.1f, 0.9f, 0.01f};
  for (int step = 0; step < 5; ++step) {
    auto g = ml_test::random_vector(100, 10 + step);
    ml::sgd_update_cpu(w.data(), v.data(), g.data(), w.size(), c);
    for (size_t i = 0; i < w.size(); ++i) {
      double gi = g[i] + 0.01 * wr[i];
      vr[i] = step == 0 ? gi : 0.9 * vr[i] + gi;  // torch: the first buffer is the gradient itself
      wr[i] -= 0.1 * vr[i];
    }
  }
  for (size_t i = 0; i < w.size(); ++i) CHECK(w[i] == Approx(wr[i]).margin(1e-5));
}

TEST_CASE("plain sgd without momentum needs no velocity", "[optim]") {
  std::vector<float> w = {1.0f, -2.0f}, g = {0.5f, 0.25f};
  ml::sgd_update_cpu(w.data(), nullptr, g.data(), 2, ml::SgdConfig{0.1f, 0.0f, 0.0f});
  CHECK(w[0] == Approx(0.95f));
  CHECK(w[1] == Approx(-2.025f));
}

TEST_CASE("adam follows torch.optim.Adam", "[optim]") {
  auto w = ml_test::random_vector(50, 2);
  std::vector<float> m(50, 0.0f), v(50, 0.0f);
  std::vector<double> wr(w.begin(), w.end()), mr(50, 0.0), vr(50, 0.0);
  ml::AdamConfig c;
  c.lr = 0.01f;
  for (int step = 1; step <= 6; ++step) {
    auto g = ml_test::random_vector(50, 20 + step);
    ml::adam_update_cpu(w.data(), m.data(), v.data(), g.data(), w.size(), c, step);
    for (size_t i = 0; i < w.size(); ++i) {
      mr[i] = 0.9 * mr[i] + 0.1 * g[i];
      vr[i] = 0.999 * vr[i] + 0.001 * double(g[i]) * g[i];
      double mh = mr[i] / (1 - std::pow(0.9, step)), vh = vr[i] / (1 - std::pow(0.999, step));
      wr[i] -= 0.01 * mh / (std::sqrt(vh) + 1e-8);
    }
  }
  for (size_t i = 0; i < w.size(); ++i) CHECK(w[i] == Approx(wr[i]).margin(1e-5));
}
