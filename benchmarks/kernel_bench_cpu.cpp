#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <stdexcept>

#include <Eigen/Core>

#include "benchmarks/cpu_baselines.h"
#include "benchmarks/kernel_bench.h"
#include "benchmarks/kernel_runner.h"
#include "kernels/channel_bias/channel_bias.h"
#include "kernels/conv2d/conv2d.h"
#include "kernels/elementwise/elementwise.h"
#include "kernels/gather/gather.h"
#include "kernels/global_avg_pool/global_avg_pool.h"
#include "kernels/linear/linear.h"
#include "kernels/log_softmax_nll/log_softmax_nll.h"
#include "kernels/maxpool2d/maxpool2d.h"
#include "kernels/noise/noise.h"
#include "kernels/noise/noise_hash.h"
#include "kernels/optimizer/optimizer_update.h"
#include "kernels/pcn_update/pcn_update.h"
#include "kernels/perturb/perturb.h"
#include "kernels/relu/relu.h"

namespace ml_bench {

const std::vector<std::string>& kernel_op_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v = {"conv-fwd",         "conv-bwd-input",    "conv-bwd-weight", "linear-fwd",
                                  "linear-bwd-input", "linear-bwd-weight", "maxpool-fwd",     "maxpool-bwd",
                                  "relu-fwd",         "relu-bwd",          "log-softmax-nll", "sgd"};
    for (const auto& t : op_table()) v.push_back(t.op);
    return v;
  }();
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

// ---- the op table (kernel_bench.h) ----------------------------------------------------------

namespace {

using Vec = Eigen::Map<Eigen::ArrayXf>;
using ConstVec = Eigen::Map<const Eigen::ArrayXf>;
using Planes = Eigen::Map<Eigen::ArrayXXf>;  // [N*C planes][HW] as an HW x N*C column-major array
using ConstPlanes = Eigen::Map<const Eigen::ArrayXXf>;

ml::ChannelShape channels(const OpArgs& a) { return {a.N, a.d.C, a.HW()}; }
size_t planes(const OpArgs& a) { return static_cast<size_t>(a.N) * a.d.C; }
float rate(const float* raw, int c) { return std::max(raw[c], 0.0f); }

// The shapes, per --shapes set, that the rows share. LeNet-sized: the seed LeNet
// (conv32k3-relu-conv64k3-relu-maxpool2-flatten-fc128-relu-fc10 on 1x28x28) and the small PCN
// (pcn32,64s2,64s2c6-gap-fc10: levels 32x28x28, 64x14x14, 64x7x7).
const OpShapes kBlockInputs = {  // what DTP's feedback maps produce and TP perturbs: a block's input
    {{"conv2 in 32x26x26", 32, 26, 26}, {"fc1 in 9216", 9216, 1, 1}},
    {{"16x32x32", 16, 32, 32}, {"128x32x32", 128, 32, 32}},
    {{"2x3x5", 2, 3, 5}}};
const OpShapes kWeights = {  // sign-symmetric feedback: out x in
    {{"fc1 w 128x9216", 128, 9216, 1}, {"conv2 w 64x32x3x3", 64, 32 * 9, 1}},
    {{"fc w 4096x4096", 4096, 4096, 1}},
    {{"w 5x7", 5, 7, 1}}};
const OpShapes kImages = {  // batch assembly from the training set kept whole on the device
    {{"1x28x28 from 60000", 1, 28, 28, 60000}},
    {{"3x32x32 from 50000", 3, 32, 32, 50000}},
    {{"1x3x5 from 11", 1, 3, 5, 11}}};
const OpShapes kPcnLevels = {  // the small PCN's first two levels
    {{"pcn 32x28x28", 32, 28, 28}, {"pcn 64x14x14", 64, 14, 14}},
    {{"pcn 128x16x16", 128, 16, 16}, {"pcn 512x4x4", 512, 4, 4}},
    {{"pcn 3x5x7", 3, 5, 7}}};
const OpShapes kPcnTop = {  // the small PCN's readout
    {{"pcn top 64x7x7", 64, 7, 7}},
    {{"512x4x4", 512, 4, 4}, {"128x16x16", 128, 16, 16}},
    {{"3x5x7", 3, 5, 7}}};
const OpShapes kPerturbed = {  // node perturbation: a layer's output over 1 + K copies (K = 1, its default)
    {{"conv2 out 64x24x24, 2 copies", 64, 24, 24, 2}, {"fc1 out 128, 2 copies", 128, 1, 1, 2}},
    {{"128x32x32, 2 copies", 128, 32, 32, 2}, {"1024, 9 copies", 1024, 1, 1, 9}},
    {{"2x3x5, 3 copies", 2, 3, 5, 3}}};

constexpr double kBytes = sizeof(float);
using S = OpScalars;

}  // namespace

const std::vector<TableOp>& op_table() {
  // Each row: name, shapes, batched, CPU baseline, layout, ours on the CPU, ours on CUDA, the baseline.
  static const std::vector<TableOp> table = {
      // DTP's inverse-map bias, y[n, c, hw] += b[c] (f: b, y)
      {"channel-bias-add", kBlockInputs, true, "loop",
       [](const OpArgs& a) { return OpLayout{{size_t(a.d.C), a.n()}, 1, {}, 0, double(a.n()), 2 * kBytes * a.n()}; },
       [](const OpArgs& a) { ml::channel_bias_add_cpu(a.f[1], a.f[0], a.N, a.d.C, a.HW()); },
       [](const OpArgs& a) { ml::channel_bias_add_cuda(a.f[1], a.f[0], a.N, a.d.C, a.HW()); },
       [](const OpArgs& a) {
#pragma omp parallel for schedule(static)
         for (size_t j = 0; j < planes(a); ++j)
           for (int k = 0; k < a.HW(); ++k) a.f[1][j * a.HW() + k] += a.f[0][j % a.d.C];
       }},
      // its gradient, db[c] = sum over n, hw of dy (f: dy, db)
      {"channel-bias-grad", kBlockInputs, true, "loop",
       [](const OpArgs& a) { return OpLayout{{a.n(), size_t(a.d.C)}, 1, {}, 0, double(a.n()), kBytes * a.n()}; },
       [](const OpArgs& a) { ml::channel_bias_grad_cpu(a.f[1], a.f[0], a.N, a.d.C, a.HW()); },
       [](const OpArgs& a) { ml::channel_bias_grad_cuda(a.f[1], a.f[0], a.N, a.d.C, a.HW()); },
       [](const OpArgs& a) {
#pragma omp parallel for schedule(static)
         for (int c = 0; c < a.d.C; ++c) {
           double sum = 0;
           for (int n = 0; n < a.N; ++n)
             for (int k = 0; k < a.HW(); ++k) sum += a.f[0][(size_t(n) * a.d.C + c) * a.HW() + k];
           a.f[1][c] = static_cast<float>(sum);
         }
       }},
      // y = a x + b y (f: x, y)
      {"axpby", kBlockInputs, true, "eigen",
       [](const OpArgs& a) { return OpLayout{{a.n(), a.n()}, 1, {}, 0, 3.0 * a.n(), 3 * kBytes * a.n()}; },
       [](const OpArgs& a) { ml::axpby_cpu(a.f[1], a.f[0], S::axpby_a, S::axpby_b, a.n()); },
       [](const OpArgs& a) { ml::axpby_cuda(a.f[1], a.f[0], S::axpby_a, S::axpby_b, a.n()); },
       [](const OpArgs& a) {
         Vec y(a.f[1], a.n());
         y = S::axpby_a * ConstVec(a.f[0], a.n()) + S::axpby_b * y;
       }},
      // sign-symmetric feedback with a per-weight magnitude, out = sign(w) |m| (f: w, m, out)
      {"sign-feedback", kWeights, false, "eigen",
       [](const OpArgs& a) { return OpLayout{{a.n(), a.n(), a.n()}, 1, {}, 0, double(a.n()), 3 * kBytes * a.n()}; },
       [](const OpArgs& a) { ml::sign_feedback_cpu(a.f[2], a.f[0], a.f[1], 0.0f, a.n()); },
       [](const OpArgs& a) { ml::sign_feedback_cuda(a.f[2], a.f[0], a.f[1], 0.0f, a.n()); },
       [](const OpArgs& a) { Vec(a.f[2], a.n()) = ConstVec(a.f[0], a.n()).sign() * ConstVec(a.f[1], a.n()).abs(); }},
      // a batch's rows from the data set, with their labels (f: src, dst; i: labels_src, index, labels_dst)
      {"gather-rows", kImages, true, "loop",
       [](const OpArgs& a) {
         const size_t row = size_t(a.d.C) * a.HW(), rows = size_t(a.d.extra);
         return OpLayout{{rows * row, a.n()}, 1, {{rows, 10}, {size_t(a.N), a.d.extra}, {size_t(a.N), 1}}, 1, 0,
                         2 * kBytes * a.n()};
       },
       [](const OpArgs& a) {
         ml::gather_rows_cpu(a.f[1], a.i[2], a.f[0], a.i[0], a.i[1], a.N, size_t(a.d.C) * a.HW());
       },
       [](const OpArgs& a) {
         ml::gather_rows_cuda(a.f[1], a.i[2], a.f[0], a.i[0], a.i[1], a.N, size_t(a.d.C) * a.HW());
       },
       [](const OpArgs& a) {
         const size_t row = size_t(a.d.C) * a.HW();
         for (int r = 0; r < a.N; ++r) {
           std::copy_n(a.f[0] + size_t(a.i[1][r]) * row, row, a.f[1] + r * row);
           a.i[2][r] = a.i[0][a.i[1][r]];
         }
       }},
      // the PCN readout, y[n, c] = mean over hw of x (f: x, y)
      {"global-avg-pool-fwd", kPcnTop, true, "eigen",
       [](const OpArgs& a) {
         return OpLayout{{a.n(), planes(a)}, 1, {}, 0, double(a.n()), kBytes * (a.n() + planes(a))};
       },
       [](const OpArgs& a) { ml::global_avg_pool_forward_cpu(a.f[1], a.f[0], a.N, a.d.C, a.HW()); },
       [](const OpArgs& a) { ml::global_avg_pool_forward_cuda(a.f[1], a.f[0], a.N, a.d.C, a.HW()); },
       [](const OpArgs& a) {
         Vec(a.f[1], planes(a)) = ConstPlanes(a.f[0], a.HW(), planes(a)).colwise().mean().transpose();
       }},
      // dx[n, c, hw] = dy[n, c] / HW (f: dy, dx)
      {"global-avg-pool-bwd", kPcnTop, true, "eigen",
       [](const OpArgs& a) {
         return OpLayout{{planes(a), a.n()}, 1, {}, 0, double(planes(a)), kBytes * (a.n() + planes(a))};
       },
       [](const OpArgs& a) { ml::global_avg_pool_backward_cpu(a.f[1], a.f[0], a.N, a.d.C, a.HW()); },
       [](const OpArgs& a) { ml::global_avg_pool_backward_cuda(a.f[1], a.f[0], a.N, a.d.C, a.HW()); },
       [](const OpArgs& a) {
         Planes(a.f[1], a.HW(), planes(a)).rowwise() =
             ConstVec(a.f[0], planes(a)).transpose() / static_cast<float>(a.HW());
       }},
      // TP's perturbation, y = x + sigma z(seed, i); the draw is not counted as flops (f: x, y)
      {"noise", kBlockInputs, true, "loop",
       [](const OpArgs& a) { return OpLayout{{a.n(), a.n()}, 1, {}, 0, 0, 2 * kBytes * a.n()}; },
       [](const OpArgs& a) { ml::add_normal_noise_cpu(a.f[1], a.f[0], S::sigma, S::seed, a.n()); },
       [](const OpArgs& a) { ml::add_normal_noise_cuda(a.f[1], a.f[0], S::sigma, S::seed, a.n()); },
       [](const OpArgs& a) {
#pragma omp parallel for schedule(static)
         for (size_t i = 0; i < a.n(); ++i) a.f[1][i] = a.f[0][i] + S::sigma * ml::normal_at(S::seed, i);
       }},
      // PCN top-down, out = relu(a p + (1 - a) r), a = max(a_raw[c], 0) (f: p, r, a_raw, out)
      {"pcn-blend-fwd", kPcnLevels, true, "loop",
       [](const OpArgs& a) {
         return OpLayout{{a.n(), a.n(), size_t(a.d.C), a.n()}, 1, {}, 0, 3.0 * a.n(), 3 * kBytes * a.n()};
       },
       [](const OpArgs& a) { ml::pcn_blend_forward_cpu(a.f[3], a.f[0], a.f[1], a.f[2], channels(a)); },
       [](const OpArgs& a) { ml::pcn_blend_forward_cuda(a.f[3], a.f[0], a.f[1], a.f[2], channels(a)); },
       [](const OpArgs& a) {
#pragma omp parallel for schedule(static)
         for (size_t j = 0; j < planes(a); ++j) {
           const float r = rate(a.f[2], int(j % a.d.C));
           for (size_t i = j * a.HW(); i < (j + 1) * a.HW(); ++i)
             a.f[3][i] = std::max(r * a.f[0][i] + (1.0f - r) * a.f[1][i], 0.0f);
         }
       }},
      // its backward: dp = a g, dr += (1 - a) g, da_raw[c] += [a_raw > 0] sum g (p - r)
      // (f: dout, out, p, r, a_raw, dp, dr, da_raw)
      {"pcn-blend-bwd", kPcnLevels, true, "loop",
       [](const OpArgs& a) {
         const size_t n = a.n(), C = size_t(a.d.C);
         return OpLayout{{n, n, n, n, C, n, n, C}, 3, {}, 0, 5.0 * n, 7 * kBytes * n};
       },
       [](const OpArgs& a) {
         ml::pcn_blend_backward_cpu(a.f[5], a.f[6], a.f[7], a.f[0], a.f[1], a.f[2], a.f[3], a.f[4], channels(a), false,
                                    true);
       },
       [](const OpArgs& a) {
         ml::pcn_blend_backward_cuda(a.f[5], a.f[6], a.f[7], a.f[0], a.f[1], a.f[2], a.f[3], a.f[4], channels(a), false,
                                     true);
       },
       [](const OpArgs& a) {
#pragma omp parallel for schedule(static)
         for (int c = 0; c < a.d.C; ++c) {
           const float r = rate(a.f[4], c);
           double sum = 0;
           for (int n = 0; n < a.N; ++n)
             for (size_t i = (size_t(n) * a.d.C + c) * a.HW(), end = i + a.HW(); i < end; ++i) {
               const float g = a.f[1][i] > 0.0f ? a.f[0][i] : 0.0f;
               a.f[5][i] = r * g;
               a.f[6][i] += (1.0f - r) * g;
               sum += double(g) * (double(a.f[2][i]) - double(a.f[3][i]));
             }
           if (a.f[4][c] > 0.0f) a.f[7][c] += static_cast<float>(sum);
         }
       }},
      // PCN bottom-up, out = relu(r + b f), b = max(b_raw[c], 0) (f: r, f, b_raw, out)
      {"pcn-correct-fwd", kPcnLevels, true, "loop",
       [](const OpArgs& a) {
         return OpLayout{{a.n(), a.n(), size_t(a.d.C), a.n()}, 1, {}, 0, 2.0 * a.n(), 3 * kBytes * a.n()};
       },
       [](const OpArgs& a) { ml::pcn_correct_forward_cpu(a.f[3], a.f[0], a.f[1], a.f[2], channels(a)); },
       [](const OpArgs& a) { ml::pcn_correct_forward_cuda(a.f[3], a.f[0], a.f[1], a.f[2], channels(a)); },
       [](const OpArgs& a) {
#pragma omp parallel for schedule(static)
         for (size_t j = 0; j < planes(a); ++j) {
           const float b = rate(a.f[2], int(j % a.d.C));
           for (size_t i = j * a.HW(); i < (j + 1) * a.HW(); ++i) a.f[3][i] = std::max(a.f[0][i] + b * a.f[1][i], 0.0f);
         }
       }},
      // its backward: dr = g, df += b g, db_raw[c] += [b_raw > 0] sum g f
      // (f: dout, out, f, b_raw, dr, df, db_raw)
      {"pcn-correct-bwd", kPcnLevels, true, "loop",
       [](const OpArgs& a) {
         const size_t n = a.n(), C = size_t(a.d.C);
         return OpLayout{{n, n, n, C, n, n, C}, 3, {}, 0, 3.0 * n, 6 * kBytes * n};
       },
       [](const OpArgs& a) {
         ml::pcn_correct_backward_cpu(a.f[4], a.f[5], a.f[6], a.f[0], a.f[1], a.f[2], a.f[3], channels(a), false, true);
       },
       [](const OpArgs& a) {
         ml::pcn_correct_backward_cuda(a.f[4], a.f[5], a.f[6], a.f[0], a.f[1], a.f[2], a.f[3], channels(a), false,
                                       true);
       },
       [](const OpArgs& a) {
#pragma omp parallel for schedule(static)
         for (int c = 0; c < a.d.C; ++c) {
           const float b = rate(a.f[3], c);
           double sum = 0;
           for (int n = 0; n < a.N; ++n)
             for (size_t i = (size_t(n) * a.d.C + c) * a.HW(), end = i + a.HW(); i < end; ++i) {
               const float g = a.f[1][i] > 0.0f ? a.f[0][i] : 0.0f;
               a.f[4][i] = g;
               a.f[5][i] += b * g;
               sum += double(g) * double(a.f[2][i]);
             }
           if (a.f[3][c] > 0.0f) a.f[6][c] += static_cast<float>(sum);
         }
       }},
      // node perturbation's copies: copy 0 clean, copy c >= 1 plus sigma z(seed, (c-1) M + i), M = N x features;
      // the draw is not counted as flops (f: x, y, noise; each copies x M)
      {"perturb-copies", kPerturbed, true, "loop",
       [](const OpArgs& a) {
         const size_t n = a.n() * size_t(a.d.extra);
         return OpLayout{{n, n, n}, 2, {}, 0, 0, 3 * kBytes * n};
       },
       [](const OpArgs& a) {
         ml::perturb_copies_cpu(a.f[1], a.f[2], a.f[0], S::sigma, S::seed, a.n(), a.d.extra, false);
       },
       [](const OpArgs& a) {
         ml::perturb_copies_cuda(a.f[1], a.f[2], a.f[0], S::sigma, S::seed, a.n(), a.d.extra, false);
       },
       [](const OpArgs& a) {
         const size_t M = a.n();
#pragma omp parallel for schedule(static)
         for (size_t i = 0; i < M * size_t(a.d.extra); ++i) {
           const size_t c = i / M;
           a.f[2][i] = c == 0 ? 0.0f : S::sigma * ml::normal_at(S::seed, (c - 1) * M + i % M);
           a.f[1][i] = a.f[0][i] + a.f[2][i];
         }
       }},
      // the noise times each row's loss difference, y[r][:] = coef[r] x[r][:], copies x N rows
      // (f: x, coef, y)
      {"scale-rows", kPerturbed, true, "eigen",
       [](const OpArgs& a) {
         const size_t n = a.n() * size_t(a.d.extra), rows = size_t(a.N) * a.d.extra;
         return OpLayout{{n, rows, n}, 1, {}, 0, double(n), 2 * kBytes * n};
       },
       [](const OpArgs& a) {
         const size_t rows = size_t(a.N) * a.d.extra;
         ml::scale_rows_cpu(a.f[2], a.f[0], a.f[1], rows, a.n() * a.d.extra / rows);
       },
       [](const OpArgs& a) {
         const size_t rows = size_t(a.N) * a.d.extra;
         ml::scale_rows_cuda(a.f[2], a.f[0], a.f[1], rows, a.n() * a.d.extra / rows);
       },
       [](const OpArgs& a) {
         const Eigen::Index rows = Eigen::Index(a.N) * a.d.extra, row = Eigen::Index(a.d.C) * a.HW();
         Planes(a.f[2], row, rows) = ConstPlanes(a.f[0], row, rows).rowwise() * ConstVec(a.f[1], rows).transpose();
       }},
  };
  return table;
}

const std::vector<OpDims>& op_shapes(const TableOp& op, const std::string& shapes) {
  if (shapes == "lenet") return op.shapes.lenet;
  if (shapes == "sweep") return op.shapes.sweep;
  if (shapes == "tiny") return op.shapes.tiny;
  throw std::invalid_argument("--shapes '" + shapes + "': expected lenet, sweep or tiny");
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

// One row of the op table on one shape: the same random buffers for ours and the baseline.
void table_case(KernelRunner& run, const TableOp& t, const OpDims& d, int N) {
  HostOpBuffers b(t, N, d);
  run.add(
      t.op, d.label, t.batched ? N : 0, b.layout.flops, b.layout.bytes, t.baseline, [&] { t.cpu(b.ours); },
      [&] { t.cpu_baseline(b.base); }, [&] { return b.max_diff(); });
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
  // the op table after the rows above, so that theirs keep their order
  for (int N : o.batches)
    for (const auto& t : op_table())
      if (t.batched && wants(o, t.op))
        for (const auto& d : op_shapes(t, o.shapes)) table_case(run, t, d, N);
  for (const auto& t : op_table())
    if (!t.batched && wants(o, t.op))
      for (const auto& d : op_shapes(t, o.shapes)) table_case(run, t, d, 1);
  return run.rows;
}

}  // namespace ml_bench
