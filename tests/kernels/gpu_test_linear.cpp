// CUDA SGEMM against a naive double loop (all four transpose combinations, odd sizes,
// alpha/beta, the split-K path), and the CUDA linear layer against the CPU reference.
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/linear/linear.h"
#include "gpu_test_common.h"

namespace {

// C = alpha op(A) op(B) + beta C in double, row-major.
std::vector<float> naive_gemm(bool ta, bool tb, int M, int N, int K, double alpha, const std::vector<float>& A,
                              const std::vector<float>& B, double beta, const std::vector<float>& C) {
  std::vector<float> out(static_cast<size_t>(M) * N);
  for (int m = 0; m < M; ++m)
    for (int n = 0; n < N; ++n) {
      double acc = 0;
      for (int k = 0; k < K; ++k) {
        const double a = ta ? A[static_cast<size_t>(k) * M + m] : A[static_cast<size_t>(m) * K + k];
        const double b = tb ? B[static_cast<size_t>(n) * K + k] : B[static_cast<size_t>(k) * N + n];
        acc += a * b;
      }
      const size_t i = static_cast<size_t>(m) * N + n;
      out[i] = static_cast<float>(alpha * acc + (beta != 0.0 ? beta * C[i] : 0.0));
    }
  return out;
}

}  // namespace

TEST_CASE("sgemm_cuda matches a naive double loop for all transposes", "[gpu][sgemm]") {
  struct Case {
    int M, N, K;
    float alpha, beta;
  };
  const std::vector<Case> cases = {
      {1, 1, 1, 1.0f, 0.0f},       {3, 5, 7, 1.0f, 0.0f},        {17, 33, 9, 0.5f, 1.0f},
      {31, 1, 65, 1.0f, -2.0f},    {33, 65, 17, -1.5f, 0.25f},   {64, 64, 16, 1.0f, 0.0f},
      {65, 129, 31, 1.0f, 1.0f},   {129, 67, 300, 0.5f, -1.5f},  {5, 7, 3000, 1.0f, 0.5f},  // split-K
      {64, 128, 9216, 1.0f, 0.0f},  // LeNet fc1 forward shape: split-K over 2 tiles
      {128, 9216, 64, 1.0f, 0.0f},  // LeNet fc1 weight-gradient shape
      {40, 300, 700, 2.0f, 1.0f},   // split-K with beta
  };
  uint32_t seed = 1;
  for (const auto& c : cases) {
    for (int t = 0; t < 4; ++t) {
      const bool ta = t & 1, tb = t & 2;
      INFO("M=" << c.M << " N=" << c.N << " K=" << c.K << " trans_a=" << ta << " trans_b=" << tb);
      auto A = random_vector(static_cast<size_t>(c.M) * c.K, seed++);
      auto B = random_vector(static_cast<size_t>(c.K) * c.N, seed++);
      auto C = random_vector(static_cast<size_t>(c.M) * c.N, seed++);
      Tensor dA = on_gpu(A), dB = on_gpu(B), dC = on_gpu(C);
      ml::sgemm_cuda(ta, tb, c.M, c.N, c.K, c.alpha, dA.data(), dB.data(), c.beta, dC.data());
      const double atol = atol_for(c.K) * std::fabs(c.alpha) + 1e-6;
      require_close(dC.to_vector(), naive_gemm(ta, tb, c.M, c.N, c.K, c.alpha, A, B, c.beta, C), atol, 1e-4, "sgemm");
    }
  }
}

TEST_CASE("sgemm_cuda with beta = 0 never reads C, and handles empty sizes", "[gpu][sgemm]") {
  const int M = 37, N = 45, K = 500;
  auto A = random_vector(static_cast<size_t>(M) * K, 7);
  auto B = random_vector(static_cast<size_t>(K) * N, 8);
  std::vector<float> nan_c(static_cast<size_t>(M) * N, std::numeric_limits<float>::quiet_NaN());
  Tensor dA = on_gpu(A), dB = on_gpu(B), dC = on_gpu(nan_c);
  ml::sgemm_cuda(false, false, M, N, K, 1.0f, dA.data(), dB.data(), 0.0f, dC.data());
  // require_close counts non-finite values as failures
  require_close(dC.to_vector(), naive_gemm(false, false, M, N, K, 1.0, A, B, 0.0, nan_c), atol_for(K), 1e-4,
                "sgemm beta=0 over NaN C");

  // K = 0: C = beta C
  auto C = random_vector(static_cast<size_t>(M) * N, 9);
  Tensor dC2 = on_gpu(C);
  ml::sgemm_cuda(false, true, M, N, 0, 1.0f, dA.data(), dB.data(), 2.0f, dC2.data());
  std::vector<float> twice(C);
  for (auto& v : twice) v *= 2.0f;
  require_close(dC2.to_vector(), twice, 0.0, 0.0, "sgemm K=0");

  // M = 0 or N = 0: nothing to do, no launch error
  ml::sgemm_cuda(false, false, 0, N, K, 1.0f, dA.data(), dB.data(), 0.0f, dC2.data());
  ml::sgemm_cuda(true, true, M, 0, K, 1.0f, dA.data(), dB.data(), 0.0f, dC2.data());
  require_close(dC2.to_vector(), twice, 0.0, 0.0, "sgemm empty");
}

TEST_CASE("linear CUDA kernels match the CPU reference", "[gpu][linear]") {
  const std::vector<ml::LinearShape> shapes = {{1, 1, 1},      {3, 7, 5},     {17, 33, 9},   {64, 300, 10},
                                               {5, 1000, 31},  {33, 65, 70},  {1, 9216, 128},
                                               {64, 9216, 128}, {64, 128, 10}};  // the last two: LeNet's fc layers
  uint32_t seed = 100;
  for (const auto& s : shapes) {
    INFO("N=" << s.N << " in=" << s.in << " out=" << s.out);
    auto x = random_vector(static_cast<size_t>(s.N) * s.in, seed++);
    auto w = random_vector(static_cast<size_t>(s.out) * s.in, seed++);
    auto b = random_vector(s.out, seed++);
    auto dy = random_vector(static_cast<size_t>(s.N) * s.out, seed++);
    Tensor gx = on_gpu(x), gw = on_gpu(w), gb = on_gpu(b), gdy = on_gpu(dy);

    std::vector<float> y(static_cast<size_t>(s.N) * s.out);
    ml::linear_forward_cpu(y.data(), x.data(), w.data(), b.data(), s);
    Tensor gy = gpu_zeros(y.size());
    ml::linear_forward_cuda(gy.data(), gx.data(), gw.data(), gb.data(), s);
    require_close(gy.to_vector(), y, atol_for(s.in), 1e-4, "linear forward");

    ml::linear_forward_cpu(y.data(), x.data(), w.data(), nullptr, s);
    ml::linear_forward_cuda(gy.data(), gx.data(), gw.data(), nullptr, s);
    require_close(gy.to_vector(), y, atol_for(s.in), 1e-4, "linear forward without bias");

    std::vector<float> dx(x.size());
    ml::linear_backward_input_cpu(dx.data(), dy.data(), w.data(), s);
    Tensor gdx = gpu_zeros(dx.size());
    ml::linear_backward_input_cuda(gdx.data(), gdy.data(), gw.data(), s);
    require_close(gdx.to_vector(), dx, atol_for(s.out), 1e-4, "linear backward_input");

    std::vector<float> dw(w.size()), db(b.size());
    ml::linear_backward_weight_cpu(dw.data(), db.data(), dy.data(), x.data(), s);
    Tensor gdw = gpu_zeros(dw.size()), gdb = gpu_zeros(db.size());
    ml::linear_backward_weight_cuda(gdw.data(), gdb.data(), gdy.data(), gx.data(), s);
    require_close(gdw.to_vector(), dw, atol_for(s.N), 1e-4, "linear dw");
    require_close(gdb.to_vector(), db, atol_for(s.N), 1e-4, "linear db");

    Tensor gdw2 = gpu_zeros(dw.size());
    ml::linear_backward_weight_cuda(gdw2.data(), nullptr, gdy.data(), gx.data(), s);
    require_close(gdw2.to_vector(), dw, atol_for(s.N), 1e-4, "linear dw without db");
  }
}

TEST_CASE("linear CUDA kernels are bit-for-bit repeatable", "[gpu][linear][determinism]") {
  const ml::LinearShape s{64, 9216, 128};  // forward takes the split-K path
  auto x = random_vector(static_cast<size_t>(s.N) * s.in, 1);
  auto w = random_vector(static_cast<size_t>(s.out) * s.in, 2);
  auto b = random_vector(s.out, 3);
  auto dy = random_vector(static_cast<size_t>(s.N) * s.out, 4);
  Tensor gx = on_gpu(x), gw = on_gpu(w), gb = on_gpu(b), gdy = on_gpu(dy);
  Tensor y1 = gpu_zeros(static_cast<size_t>(s.N) * s.out), y2 = gpu_zeros(static_cast<size_t>(s.N) * s.out);
  Tensor db1 = gpu_zeros(s.out), db2 = gpu_zeros(s.out), dw = gpu_zeros(w.size());
  ml::linear_forward_cuda(y1.data(), gx.data(), gw.data(), gb.data(), s);
  ml::linear_backward_weight_cuda(dw.data(), db1.data(), gdy.data(), gx.data(), s);
  ml::linear_forward_cuda(y2.data(), gx.data(), gw.data(), gb.data(), s);
  ml::linear_backward_weight_cuda(dw.data(), db2.data(), gdy.data(), gx.data(), s);
  CHECK(y1.to_vector() == y2.to_vector());
  CHECK(db1.to_vector() == db2.to_vector());
}
