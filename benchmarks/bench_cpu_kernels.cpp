// CPU kernels on the seed LeNet's shapes: first a check against a naive loop
// on one sample, then the median of repeated timings, one line per op.
// Usage: bench_cpu_kernels [batch=64] [repeats=20]
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <vector>

#include "kernels/conv2d/conv2d.h"
#include "kernels/linear/linear.h"

namespace {

std::vector<float> random_vector(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> d(-1, 1);
  std::vector<float> v(n);
  for (auto& x : v) x = d(gen);
  return v;
}

double median_ms(const std::function<void()>& f, int repeats) {
  f();  // warm-up (sizes the scratch buffers)
  std::vector<double> t;
  for (int i = 0; i < repeats; ++i) {
    auto s = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

void line(const char* op, const char* shape, double ms, double flops) {
  std::printf("%-18s | %-28s | %8.3f ms | %7.1f GFLOP/s\n", op, shape, ms, flops / ms / 1e6);
}

bool check_conv(const ml::Conv2dShape& s, const std::vector<float>& x, const std::vector<float>& w,
                const std::vector<float>& b, const std::vector<float>& y) {
  // sample 0 only: the naive loop is slow
  const int P = s.P(), Q = s.Q();
  for (int k = 0; k < s.K; ++k)
    for (int p = 0; p < P; ++p)
      for (int q = 0; q < Q; ++q) {
        double acc = b[k];
        for (int c = 0; c < s.C; ++c)
          for (int r = 0; r < s.R; ++r)
            for (int t = 0; t < s.S; ++t) {
              int h = p * s.stride + r - s.pad, v = q * s.stride + t - s.pad;
              if (h >= 0 && h < s.H && v >= 0 && v < s.W)
                acc += double(x[(c * s.H + h) * s.W + v]) * w[((k * s.C + c) * s.R + r) * s.S + t];
            }
        if (std::fabs(acc - y[(k * P + p) * Q + q]) > 1e-4 + 1e-4 * std::fabs(acc)) return false;
      }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const int N = argc > 1 ? std::atoi(argv[1]) : 64;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 20;
  std::printf("CPU kernels, batch %d, %d OpenMP threads, median of %d\n", N, omp_get_max_threads(), repeats);
  struct ConvCase { const char* name; int C, H, K; bool need_dx; };
  for (ConvCase cc : {ConvCase{"conv1 1->32 k3", 1, 28, 32, false}, ConvCase{"conv2 32->64 k3", 32, 26, 64, true}}) {
    ml::Conv2dShape s;
    s.N = N, s.C = cc.C, s.H = s.W = cc.H, s.K = cc.K, s.R = s.S = 3;
    auto x = random_vector(size_t(N) * s.C * s.H * s.W, 1), w = random_vector(size_t(s.K) * s.C * 9, 2);
    auto b = random_vector(s.K, 3);
    std::vector<float> y(size_t(N) * s.K * s.P() * s.Q()), dx(x.size()), dw(w.size()), db(b.size());
    ml::conv2d_forward_cpu(y.data(), x.data(), w.data(), b.data(), s);
    if (!check_conv(s, x, w, b, y)) {
      std::printf("%s: forward does not match the naive loop\n", cc.name);
      return 1;
    }
    const double flops = 2.0 * N * s.K * s.P() * s.Q() * s.C * 9;
    line("conv_fwd", cc.name, median_ms([&] { ml::conv2d_forward_cpu(y.data(), x.data(), w.data(), b.data(), s); }, repeats), flops);
    if (cc.need_dx)
      line("conv_bwd_input", cc.name, median_ms([&] { ml::conv2d_backward_input_cpu(dx.data(), y.data(), w.data(), s); }, repeats), flops);
    line("conv_bwd_weight", cc.name, median_ms([&] { ml::conv2d_backward_weight_cpu(dw.data(), db.data(), y.data(), x.data(), s); }, repeats), flops);
  }
  for (ml::LinearShape s : {ml::LinearShape{N, 9216, 128}, ml::LinearShape{N, 128, 10}}) {
    auto x = random_vector(size_t(N) * s.in, 4), w = random_vector(size_t(s.out) * s.in, 5), b = random_vector(s.out, 6);
    std::vector<float> y(size_t(N) * s.out), dx(x.size()), dw(w.size()), db(b.size());
    char name[64];
    std::snprintf(name, sizeof name, "fc %d->%d", s.in, s.out);
    const double flops = 2.0 * N * s.in * s.out;
    line("linear_fwd", name, median_ms([&] { ml::linear_forward_cpu(y.data(), x.data(), w.data(), b.data(), s); }, repeats), flops);
    line("linear_bwd_input", name, median_ms([&] { ml::linear_backward_input_cpu(dx.data(), y.data(), w.data(), s); }, repeats), flops);
    line("linear_bwd_weight", name, median_ms([&] { ml::linear_backward_weight_cpu(dw.data(), db.data(), y.data(), x.data(), s); }, repeats), flops);
  }
  return 0;
}
