// CUDA SGD and Adam updates against the CPU reference over several steps.
// Tolerance: the same float formulas, but nvcc may fuse a multiply-add (FMA) where the host
// rounds twice, so each step may differ by an ulp of the largest term (|velocity| reaches ~5,
// whose ulp is 5e-7, and cancellation can leave that error on a small result). 1e-5 absolute
// + 1e-5 relative over 5 steps covers it; a wrong index or formula errs by ~lr * O(1) or more.
#include <cmath>
#include <vector>

#include "kernels/optimizer/optimizer_update.h"
#include "gpu_test_common.h"

TEST_CASE("sgd_update_cuda matches the CPU reference", "[gpu][optimizer]") {
  const std::vector<ml::SgdConfig> configs = {{0.1f, 0.0f, 0.0f}, {0.05f, 0.9f, 0.0f}, {0.01f, 0.9f, 5e-4f},
                                              {0.1f, 0.0f, 1e-2f}};
  uint32_t seed = 1;
  for (const auto& c : configs) {
    for (size_t n : {size_t{1}, size_t{1000}, size_t{9216} * 128 + 5, size_t{16777216 + 3}}) {
      INFO("n=" << n << " lr=" << c.lr << " momentum=" << c.momentum << " weight_decay=" << c.weight_decay);
      auto w = random_vector(n, seed++);
      std::vector<float> vel(n, 0.0f);
      Tensor gw = on_gpu(w), gvel = on_gpu(vel);
      for (int step = 0; step < 5; ++step) {
        auto g = random_vector(n, seed++);
        Tensor gg = on_gpu(g);
        ml::sgd_update_cpu(w.data(), vel.data(), g.data(), n, c);
        // with momentum 0 the velocity is unused: pass null as a caller may
        ml::sgd_update_cuda(gw.data(), c.momentum == 0.0f ? nullptr : gvel.data(), gg.data(), n, c);
      }
      require_close(gw.to_vector(), w, 1e-5, 1e-5, "sgd w");
      if (c.momentum != 0.0f) require_close(gvel.to_vector(), vel, 1e-5, 1e-5, "sgd velocity");
    }
  }
}

TEST_CASE("adam_update_cuda matches the CPU reference", "[gpu][optimizer]") {
  const std::vector<ml::AdamConfig> configs = {{1e-3f, 0.9f, 0.999f, 1e-8f, 0.0f}, {1e-2f, 0.8f, 0.99f, 1e-6f, 1e-2f}};
  uint32_t seed = 100;
  for (const auto& c : configs) {
    for (size_t n : {size_t{1}, size_t{777}, size_t{9216} * 128 + 5}) {
      INFO("n=" << n << " lr=" << c.lr << " weight_decay=" << c.weight_decay);
      auto w = random_vector(n, seed++);
      std::vector<float> m(n, 0.0f), v(n, 0.0f);
      Tensor gw = on_gpu(w), gm = on_gpu(m), gv = on_gpu(v);
      for (int step = 1; step <= 5; ++step) {
        auto g = random_vector(n, seed++);
        Tensor gg = on_gpu(g);
        ml::adam_update_cpu(w.data(), m.data(), v.data(), g.data(), n, c, step);
        ml::adam_update_cuda(gw.data(), gm.data(), gv.data(), gg.data(), n, c, step);
      }
      require_close(gw.to_vector(), w, 1e-5, 1e-5, "adam w");
      require_close(gm.to_vector(), m, 1e-5, 1e-5, "adam m");
      require_close(gv.to_vector(), v, 1e-5, 1e-5, "adam v");
    }
  }
}

// Gradient-norm clipping's two pieces: the sum of squares (double on both sides, summed in
// another order: relative 1e-12) and an update with grad_scale != 1 (same tolerance as above).
TEST_CASE("sum_squares_cuda and grad_scale match the CPU reference", "[gpu][optimizer][clip]") {
  uint32_t seed = 300;
  for (size_t n : {size_t{1}, size_t{1023}, size_t{9216} * 128 + 5}) {
    INFO("n=" << n);
    const auto x = random_vector(n, seed++);
    const double ref = ml::sum_squares_cpu(x.data(), n);
    const Tensor gx_sum = on_gpu(x);
    const float* arrays[] = {gx_sum.data(), gx_sum.data()};
    const size_t sizes[] = {n, 0};
    double sums[] = {-1.0, -1.0};
    ml::sum_squares_cuda(arrays, sizes, 2, sums);
    CHECK(sums[0] == Approx(ref).epsilon(1e-12));
    CHECK(sums[1] == 0.0);

    ml::SgdConfig c{0.05f, 0.9f, 5e-4f};
    c.grad_scale = 0.37f;
    auto w = random_vector(n, seed++);
    std::vector<float> vel(n, 0.0f);
    Tensor gw = on_gpu(w), gvel = on_gpu(vel), gx = on_gpu(x);
    ml::sgd_update_cpu(w.data(), vel.data(), x.data(), n, c);
    ml::sgd_update_cuda(gw.data(), gvel.data(), gx.data(), n, c);
    require_close(gw.to_vector(), w, 1e-5, 1e-5, "sgd w, grad_scale 0.37");
  }
}
