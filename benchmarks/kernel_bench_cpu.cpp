#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <random>
#include <stdexcept>

#include "benchmarks/cpu_baselines.h"
#include "benchmarks/kernel_bench.h"
#include "benchmarks/kernel_runner.h"
#include "kernels/conv2d/conv2d.h"
#include "kernels/linear/linear.h"
#include "kernels/log_softmax_nll/log_softmax_nll.h"
#include "kernels/maxpool2d/maxpool2d.h"
#include "kernels/optimizer/optimizer_update.h"
#include "kernels/relu/relu.h"

namespace ml_bench {

const std::vector<std::string>& kernel_op_names() {
  static const std::vector<std::string> names = {
      "conv-fwd",    "conv-bwd-input", "conv-bwd-weight", "linear-fwd", "linear-bwd-input", "linear-bwd-weight",
      "maxpool-fwd", "maxpool-bwd",    "relu-fwd",        "relu-bwd",   "log-softmax-nll",  "sgd"};
  return names;
}

bool wants(const KernelOptions& o, const std::string& op) {
  return o.ops.empty() || std::find(o.ops.begin(), o.ops.end(), op) != o.ops.end();
}

double max_relative_diff(const std::vector<float>& ours, const std::vector<float>& baseline) {
  double worst = 0;
  for (size_t i = 0; i < ours.size() && i < baseline.size(); ++i)
    worst = std::max(worst, std::fabs(double(ours[i]) - baseline[i]) / (1.0 + std::fabs(double(baseline[i]))));
  return ours.size() == baseline.size() ? worst : INFINITY;
}

namespace {

std::vector<float> random_vector(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> d(-1, 1);
  std::vector<float> v(n);
  for (auto& x : v) x = d(gen);
  return v;
}

struct ConvCase {
  std::string name;
  int C, H, K;
  bool first_layer;  // the seed LeNet never computes conv1's error to the input
};
struct LinearCase {
  std::string name;
  int in, out;
};
struct PoolCase {
  std::string name;
  int C, H;
};

struct ShapeSet {
  std::vector<ConvCase> convs;
  std::vector<LinearCase> linears;
  std::vector<PoolCase> pools;
  std::vector<int> relu_sizes;  // per sample
  std::vector<size_t> param_counts;
};

ShapeSet shape_set(const std::string& name) {
  if (name == "lenet")
    return {{{"conv1 1->32 k3 28x28", 1, 28, 32, true}, {"conv2 32->64 k3 26x26", 32, 26, 64, false}},
            {{"fc1 9216->128", 9216, 128}, {"fc2 128->10", 128, 10}},
            {{"pool 64x24x24", 64, 24}},
            {32 * 26 * 26, 64 * 24 * 24},
            {9216 * 128, 32 * 32 * 9}};
  if (name == "sweep")
    return {{{"conv 16->16 k3 32x32", 16, 32, 16, false},
             {"conv 32->32 k3 32x32", 32, 32, 32, false},
             {"conv 64->64 k3 32x32", 64, 32, 64, false},
             {"conv 128->128 k3 32x32", 128, 32, 128, false}},
            {{"fc 256->256", 256, 256}, {"fc 1024->1024", 1024, 1024}, {"fc 4096->4096", 4096, 4096}},
            {{"pool 32x32x32", 32, 32}, {"pool 128x16x16", 128, 16}},
            {16 * 32 * 32, 128 * 32 * 32},
            {1 << 16, 1 << 22}};
  if (name == "tiny")
    return {{{"conv 2->4 k3 8x8", 2, 8, 4, false}}, {{"fc 16->8", 16, 8}}, {{"pool 2x8x8", 2, 8}}, {128}, {1000}};
  throw std::invalid_argument("--shapes '" + name + "': expected lenet, sweep or tiny");
}

constexpr double kF = sizeof(float);

void conv_cases(KernelRunner& run, const KernelOptions& o, const ConvCase& cc, int N) {
  ml::Conv2dShape s;
  s.N = N, s.C = cc.C, s.H = s.W = cc.H, s.K = cc.K, s.R = s.S = 3;
  const size_t nx = size_t(N) * s.C * s.H * s.W, ny = size_t(N) * s.K * s.P() * s.Q(), nw = size_t(s.K) * s.C * 9;
  auto x = random_vector(nx, 1), w = random_vector(nw, 2), b = random_vector(s.K, 3), dy = random_vector(ny, 4);
  std::vector<float> y(ny), y2(ny), dx(nx), dx2(nx), dw(nw), dw2(nw), db(s.K), db2(s.K);
  ConvScratch scratch;
  const double flops = 2.0 * N * s.K * s.P() * s.Q() * s.C * 9;
  const double io = kF * (nx + ny + nw);
  // Caffe's way is the baseline at batch sizes where a per-sample GEMM is fair;
  // the plain loop is the second opinion (and the only one for conv1's 1 channel).
  const bool use_loop = cc.first_layer;
  if (wants(o, "conv-fwd")) {
    auto ours = [&] { ml::conv2d_forward_cpu(y.data(), x.data(), w.data(), b.data(), s); };
    if (use_loop)
      run.add(
          "conv-fwd", cc.name, N, flops, io, "loop", ours,
          [&] { conv_forward_loop(y2.data(), x.data(), w.data(), b.data(), s); },
          [&] { return max_relative_diff(y, y2); });
    else
      run.add(
          "conv-fwd", cc.name, N, flops, io, "eigen", ours,
          [&] { conv_forward_eigen(y2.data(), x.data(), w.data(), b.data(), s, scratch); },
          [&] { return max_relative_diff(y, y2); });
  }
  if (wants(o, "conv-bwd-input") && !cc.first_layer)
    run.add(
        "conv-bwd-input", cc.name, N, flops, io, "eigen",
        [&] { ml::conv2d_backward_input_cpu(dx.data(), dy.data(), w.data(), s); },
        [&] { conv_backward_input_eigen(dx2.data(), dy.data(), w.data(), s, scratch); },
        [&] { return max_relative_diff(dx, dx2); });
  if (wants(o, "conv-bwd-weight")) {
    auto ours = [&] { ml::conv2d_backward_weight_cpu(dw.data(), db.data(), dy.data(), x.data(), s); };
    auto diff = [&] { return std::max(max_relative_diff(dw, dw2), max_relative_diff(db, db2)); };
    if (use_loop)
      run.add(
          "conv-bwd-weight", cc.name, N, flops, io, "loop", ours,
          [&] { conv_backward_weight_loop(dw2.data(), db2.data(), dy.data(), x.data(), s); }, diff);
    else
      run.add(
          "conv-bwd-weight", cc.name, N, flops, io, "eigen", ours,
          [&] { conv_backward_weight_eigen(dw2.data(), db2.data(), dy.data(), x.data(), s, scratch); }, diff);
  }
}

void linear_cases(KernelRunner& run, const KernelOptions& o, const LinearCase& lc, int N) {
  ml::LinearShape s{N, lc.in, lc.out};
  const size_t nx = size_t(N) * s.in, ny = size_t(N) * s.out, nw = size_t(s.in) * s.out;
  auto x = random_vector(nx, 5), w = random_vector(nw, 6), b = random_vector(s.out, 7), dy = random_vector(ny, 8);
  std::vector<float> y(ny), y2(ny), dx(nx), dx2(nx), dw(nw), dw2(nw), db(s.out), db2(s.out);
  const double flops = 2.0 * N * s.in * s.out, io = kF * (nx + ny + nw);
  if (wants(o, "linear-fwd"))
    run.add(
        "linear-fwd", lc.name, N, flops, io, "eigen",
        [&] { ml::linear_forward_cpu(y.data(), x.data(), w.data(), b.data(), s); },
        [&] { linear_forward_eigen(y2.data(), x.data(), w.data(), b.data(), s); },
        [&] { return max_relative_diff(y, y2); });
  if (wants(o, "linear-bwd-input"))
    run.add(
        "linear-bwd-input", lc.name, N, flops, io, "eigen",
        [&] { ml::linear_backward_input_cpu(dx.data(), dy.data(), w.data(), s); },
        [&] { linear_backward_input_eigen(dx2.data(), dy.data(), w.data(), s); },
        [&] { return max_relative_diff(dx, dx2); });
  if (wants(o, "linear-bwd-weight"))
    run.add(
        "linear-bwd-weight", lc.name, N, flops, io, "eigen",
        [&] { ml::linear_backward_weight_cpu(dw.data(), db.data(), dy.data(), x.data(), s); },
        [&] { linear_backward_weight_eigen(dw2.data(), db2.data(), dy.data(), x.data(), s); },
        [&] { return std::max(max_relative_diff(dw, dw2), max_relative_diff(db, db2)); });
}

void pool_cases(KernelRunner& run, const KernelOptions& o, const PoolCase& pc, int N) {
  ml::Pool2dShape s;
  s.N = N, s.C = pc.C, s.H = s.W = pc.H;
  const size_t nx = size_t(N) * s.C * s.H * s.W, ny = size_t(N) * s.C * s.P() * s.Q();
  auto x = random_vector(nx, 9), dy = random_vector(ny, 10);
  std::vector<float> y(ny), y2(ny), dx(nx), dx2(nx);
  std::vector<int32_t> arg(ny), arg2(ny);
  if (wants(o, "maxpool-fwd"))
    run.add(
        "maxpool-fwd", pc.name, N, 3.0 * ny, kF * nx + 2 * kF * ny, "loop",
        [&] { ml::maxpool2d_forward_cpu(y.data(), arg.data(), x.data(), s); },
        [&] { maxpool_forward_loop(y2.data(), arg2.data(), x.data(), s); },
        [&] { return std::max(max_relative_diff(y, y2), arg == arg2 ? 0.0 : 1.0); });
  if (wants(o, "maxpool-bwd")) {
    ml::maxpool2d_forward_cpu(y.data(), arg.data(), x.data(), s);
    run.add(
        "maxpool-bwd", pc.name, N, 0, kF * nx + 2 * kF * ny, "loop",
        [&] { ml::maxpool2d_backward_cpu(dx.data(), dy.data(), arg.data(), s); },
        [&] { maxpool_backward_loop(dx2.data(), dy.data(), arg.data(), s); },
        [&] { return max_relative_diff(dx, dx2); });
  }
}

void elementwise_cases(KernelRunner& run, const KernelOptions& o, const ShapeSet& set, int N) {
  for (int per_sample : set.relu_sizes) {
    const size_t n = size_t(N) * per_sample;
    const std::string shape = std::to_string(per_sample) + " per sample";
    auto x = random_vector(n, 11), dy = random_vector(n, 12);
    std::vector<float> y(n), y2(n), dx(n), dx2(n);
    if (wants(o, "relu-fwd"))
      run.add(
          "relu-fwd", shape, N, double(n), 2 * kF * n, "eigen", [&] { ml::relu_forward_cpu(y.data(), x.data(), n); },
          [&] { relu_forward_eigen(y2.data(), x.data(), n); }, [&] { return max_relative_diff(y, y2); });
    if (wants(o, "relu-bwd")) {
      ml::relu_forward_cpu(y.data(), x.data(), n);
      run.add(
          "relu-bwd", shape, N, double(n), 3 * kF * n, "eigen",
          [&] { ml::relu_backward_cpu(dx.data(), dy.data(), y.data(), n); },
          [&] { relu_backward_eigen(dx2.data(), dy.data(), y.data(), n); }, [&] { return max_relative_diff(dx, dx2); });
    }
  }
  if (wants(o, "log-softmax-nll")) {
    const int C = 10;
    auto z = random_vector(size_t(N) * C, 13);
    std::vector<int32_t> labels(N);
    for (int i = 0; i < N; ++i) labels[i] = i % C;
    std::vector<float> logp(z.size()), logp2(z.size()), loss(N), loss2(N);
    run.add(
        "log-softmax-nll", std::to_string(C) + " classes", N, 4.0 * N * C, kF * 2 * N * C, "loop",
        [&] { ml::log_softmax_nll_forward_cpu(logp.data(), loss.data(), z.data(), labels.data(), N, C); },
        [&] { log_softmax_nll_loop(logp2.data(), loss2.data(), z.data(), labels.data(), N, C); },
        [&] { return std::max(max_relative_diff(logp, logp2), max_relative_diff(loss, loss2)); });
  }
}

void sgd_cases(KernelRunner& run, const KernelOptions& o, const ShapeSet& set) {
  if (!wants(o, "sgd")) return;
  for (size_t n : set.param_counts) {
    auto w = random_vector(n, 14), g = random_vector(n, 15);
    std::vector<float> w2 = w, v(n, 0.0f), v2(n, 0.0f);
    const ml::SgdConfig c{0.01f, 0.9f, 0.0f};
    // Both update their own copy; after the same number of calls they agree.
    run.add(
        "sgd", std::to_string(n) + " params", 0, 3.0 * n, 5 * kF * n, "eigen",
        [&] { ml::sgd_update_cpu(w.data(), v.data(), g.data(), n, c); },
        [&] { sgd_update_eigen(w2.data(), v2.data(), g.data(), n, c.lr, c.momentum); },
        [&] { return max_relative_diff(w, w2); });
  }
}

}  // namespace

std::vector<KernelRow> run_cpu_kernels(const KernelOptions& o) {
  for (const auto& op : o.ops)
    if (std::find(kernel_op_names().begin(), kernel_op_names().end(), op) == kernel_op_names().end())
      throw std::invalid_argument("--op '" + op + "': unknown (see --help for the list)");
  const ShapeSet set = shape_set(o.shapes);
  KernelRunner run(o, "cpu");
  for (int N : o.batches) {
    for (const auto& cc : set.convs) conv_cases(run, o, cc, N);
    for (const auto& lc : set.linears) linear_cases(run, o, lc, N);
    for (const auto& pc : set.pools) pool_cases(run, o, pc, N);
    elementwise_cases(run, o, set, N);
  }
  sgd_cases(run, o, set);
  return run.rows;
}

}  // namespace ml_bench
