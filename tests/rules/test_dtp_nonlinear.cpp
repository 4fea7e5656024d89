// dtp and ldrl through the nonlinear inverse g_b(v) = f_b(Q_b^T(P_b v) + c_b)
// (rules/inverse_target.h), against oracles of their own: the targets and the
// forward update of a small MLP in double; with Q = W not backprop (dtp-linear
// is); eta_hat changes the update (not dtp-linear's); the reconstruction loss
// falls while only the inverses learn, and ldrl's updates move towards
// backprop's; both feedback losses' gradients against central differences of
// a double-precision re-implementation (fc and conv blocks, pooling, flatten);
// and dtp-linear reproduces the dtp of before the nonlinear inverse bit for bit
// (tests/fixtures/dtp_linear_short_run.txt).
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "engine/optimizer.h"
#include "engine/tensor_ops.h"
#include "rules/inverse_target.h"
#include "rules/registry.h"
#include "analysis/analysis_test_util.h"
#include "engine_test_util.h"
#include "test_util.h"

using namespace ml;
using ml_test::make_batch;

namespace {

const char* kConvSpec = "conv4k3p1-relu-conv6k3s2-relu-maxpool2-flatten-fc12-relu-fc5";
const Shape kConvInput = {2, 11, 11};
const char* kMlpSpec = "fc16-relu-fc12-relu-fc5";
const Shape kMlpInput = {6};

InverseTargetRule& inv(std::unique_ptr<LearningRule>& r) { return dynamic_cast<InverseTargetRule&>(*r); }

std::vector<double> to_double(const Tensor& t) {
  const std::vector<float> v = t.to_vector();
  return {v.begin(), v.end()};
}

// Every param's grad after compute_gradients, in net.params() order.
std::vector<std::vector<float>> grads_of(LearningRule& rule, Network& net, const Batch& batch) {
  rule.compute_gradients(net, batch);
  std::vector<std::vector<float>> g;
  for (Param* p : net.params()) g.push_back(p->grad.to_vector());
  return g;
}

double max_abs(const std::vector<float>& v) {
  double m = 0;
  for (float x : v) m = std::max(m, double(std::fabs(x)));
  return m;
}

double max_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(double(a[i]) - b[i]));
  return m;
}

// --- a double-precision re-implementation of one block and its inverse -------------------
// A block is a weight layer (an fc layer is a 1 x 1 conv of a 1 x 1 image), an optional
// ReLU and an optional 2 x 2 max pooling; flatten changes nothing in NCHW order.
struct HostBlock {
  int C, H, W, K, R, stride, pad;
  bool relu, pool, inverse_relu;
  std::vector<double> w, bias, q, c;
  int P() const { return (H + 2 * pad - R) / stride + 1; }
  int in_size() const { return C * H * W; }
};

HostBlock host_block(Network& net, InverseTargetRule& r, size_t b, int C, int H, int W, int R, int stride, int pad,
                     bool relu, bool pool) {
  Layer& l = net.layer(r.block(b).first);
  HostBlock hb{C, H, W, l.weight()->value.dim(0), R, stride, pad, relu, pool, r.inverse_relu(b), {}, {}, {}, {}};
  hb.w = to_double(l.weight()->value), hb.bias = to_double(l.bias()->value);
  hb.q = to_double(r.feedback(b)), hb.c = to_double(r.feedback_bias(b));
  return hb;
}

// y = the block's output for input x ([N, C, H, W]); arg = each pooled value's source position.
std::vector<double> host_forward(const HostBlock& s, const std::vector<double>& x, int N, std::vector<int>& arg) {
  const int P = s.P();
  std::vector<double> y(static_cast<size_t>(N) * s.K * P * P);
  for (int n = 0; n < N; ++n)
    for (int k = 0; k < s.K; ++k)
      for (int p = 0; p < P; ++p)
        for (int q = 0; q < P; ++q) {
          double a = s.bias[k];
          for (int c = 0; c < s.C; ++c)
            for (int r = 0; r < s.R; ++r)
              for (int t = 0; t < s.R; ++t) {
                const int h = p * s.stride + r - s.pad, w = q * s.stride + t - s.pad;
                if (h < 0 || h >= s.H || w < 0 || w >= s.W) continue;
                a += s.w[((k * s.C + c) * s.R + r) * s.R + t] * x[((n * s.C + c) * s.H + h) * s.W + w];
              }
          y[((n * s.K + k) * P + p) * P + q] = s.relu ? std::max(a, 0.0) : a;
        }
  if (!s.pool) return y;
  const int O = P / 2;
  std::vector<double> out(static_cast<size_t>(N) * s.K * O * O);
  arg.assign(out.size(), 0);
  for (int nk = 0; nk < N * s.K; ++nk)
    for (int i = 0; i < O; ++i)
      for (int j = 0; j < O; ++j) {
        int best = (2 * i) * P + 2 * j;
        for (int r = 0; r < 2; ++r)
          for (int t = 0; t < 2; ++t) {
            const int at = (2 * i + r) * P + 2 * j + t;
            if (y[nk * P * P + at] > y[nk * P * P + best]) best = at;
          }
        out[(nk * O + i) * O + j] = y[nk * P * P + best];
        arg[(nk * O + i) * O + j] = best;
      }
  return out;
}

// g(v) = f(Q^T(unpool(v)) + c), with the pooling positions arg of a forward pass.
std::vector<double> host_inverse(const HostBlock& s, const std::vector<double>& v, int N, const std::vector<int>& arg) {
  const int P = s.P();
  std::vector<double> u(static_cast<size_t>(N) * s.K * P * P, 0.0);
  if (s.pool) {
    const int O = P / 2;
    for (int nk = 0; nk < N * s.K; ++nk)
      for (int i = 0; i < O * O; ++i) u[nk * P * P + arg[nk * O * O + i]] += v[nk * O * O + i];
  } else {
    u = v;
  }
  std::vector<double> z(static_cast<size_t>(N) * s.in_size());
  for (int n = 0; n < N; ++n)
    for (int c = 0; c < s.C; ++c)
      for (int h = 0; h < s.H; ++h)
        for (int w = 0; w < s.W; ++w) z[((n * s.C + c) * s.H + h) * s.W + w] = s.c[c];
  for (int n = 0; n < N; ++n)
    for (int k = 0; k < s.K; ++k)
      for (int p = 0; p < P; ++p)
        for (int q = 0; q < P; ++q)
          for (int c = 0; c < s.C; ++c)
            for (int r = 0; r < s.R; ++r)
              for (int t = 0; t < s.R; ++t) {
                const int h = p * s.stride + r - s.pad, w = q * s.stride + t - s.pad;
                if (h < 0 || h >= s.H || w < 0 || w >= s.W) continue;
                z[((n * s.C + c) * s.H + h) * s.W + w] +=
                    s.q[((k * s.C + c) * s.R + r) * s.R + t] * u[((n * s.K + k) * P + p) * P + q];
              }
  if (s.inverse_relu)
    for (double& x : z) x = std::max(x, 0.0);
  return z;
}

// dtp's reconstruction loss ||g(f(x_n)) - x_n||^2 / (2 N).
double host_reconstruction(const HostBlock& s, const std::vector<double>& xn, int N) {
  std::vector<int> arg;
  const std::vector<double> z = host_inverse(s, host_forward(s, xn, N, arg), N, arg);
  double l = 0;
  for (size_t i = 0; i < z.size(); ++i) l += (z[i] - xn[i]) * (z[i] - xn[i]);
  return 0.5 * l / N;
}

// ldrl's loss (-<d, g(f(x + d)) - g(f(x))> + ||g(y + e) - g(y)||^2 / 2) / (N positions sigma^2).
double host_difference_loss(const HostBlock& s, const std::vector<double>& x, const std::vector<double>& d,
                            const std::vector<double>& e, int N, double sigma) {
  std::vector<int> arg_d, arg;
  std::vector<double> xd(x);
  for (size_t i = 0; i < x.size(); ++i) xd[i] += d[i];
  const std::vector<double> zd = host_inverse(s, host_forward(s, xd, N, arg_d), N, arg_d);
  const std::vector<double> y = host_forward(s, x, N, arg);
  std::vector<double> ye(y);
  for (size_t i = 0; i < y.size(); ++i) ye[i] += e[i];
  const std::vector<double> z0 = host_inverse(s, y, N, arg), ze = host_inverse(s, ye, N, arg);
  double l = 0;
  for (size_t i = 0; i < zd.size(); ++i) l -= d[i] * (zd[i] - z0[i]);
  for (size_t i = 0; i < ze.size(); ++i) l += 0.5 * (ze[i] - z0[i]) * (ze[i] - z0[i]);
  return l / (N * double(s.P()) * s.P() * sigma * sigma);
}

// The rule's gradient of Q_b and c_b against central differences of `loss` in double, on every c
// entry and every 7th Q entry: |a - b| <= 1e-3 * (max |numeric| + 1e-3).
template <class Loss>
void check_gradient(HostBlock& s, const std::vector<float>& dq, const std::vector<float>& dc, Loss loss) {
  std::vector<double> num_q, num_c, got_q, got_c;
  const double h = 1e-6;
  auto central = [&](double& v) {
    const double keep = v;
    v = keep + h;
    const double up = loss(s);
    v = keep - h;
    const double down = loss(s);
    v = keep;
    return (up - down) / (2 * h);
  };
  for (size_t i = 0; i < s.q.size(); i += 7) num_q.push_back(central(s.q[i])), got_q.push_back(dq[i]);
  for (size_t i = 0; i < s.c.size(); ++i) num_c.push_back(central(s.c[i])), got_c.push_back(dc[i]);
  double scale = 1e-3, worst = 0;
  for (double v : num_q) scale = std::max(scale, std::fabs(v));
  for (double v : num_c) scale = std::max(scale, std::fabs(v));
  for (size_t i = 0; i < num_q.size(); ++i) worst = std::max(worst, std::fabs(num_q[i] - got_q[i]));
  for (size_t i = 0; i < num_c.size(); ++i) worst = std::max(worst, std::fabs(num_c[i] - got_c[i]));
  INFO("largest gradient " << scale << ", largest error " << worst);
  CHECK(scale > 1e-2);  // a gradient worth checking
  CHECK(worst <= 1e-3 * scale);
}

// The per-block layouts of kConvSpec on kConvInput: conv2 (conv6k3s2-relu-maxpool2-flatten
// on 4 x 11 x 11), fc1 (fc12-relu on 24), fc2 (fc5 on 12).
HostBlock conv_spec_block(Network& net, InverseTargetRule& r, size_t b) {
  if (b == 1) return host_block(net, r, 1, 4, 11, 11, 3, 2, 0, true, true);
  if (b == 2) return host_block(net, r, 2, 24, 1, 1, 1, 1, 0, true, false);
  return host_block(net, r, 3, 12, 1, 1, 1, 1, 0, false, false);
}

std::vector<float> random_floats(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  return ml_test::random_vector(n, seed, lo, hi);
}

// --- the short run of the fixture ---------------------------------------------------------
using Named = std::vector<std::pair<std::string, std::vector<float>>>;

// bp or dtp-linear on kConvSpec: 3 feedback pre-training batches, then 5 Adam steps with clipping,
// 2 feedback steps a batch; every param and the rule's state afterwards, on one OpenMP thread
// (the sums' order, and so the bits, depend on the thread count).
Named short_run(const std::string& rule_name) {
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  Network net(kConvSpec, kConvInput, 3);
  auto rule = make_rule(rule_name, rule_name == "bp" ? FlagValues{} : FlagValues{{"feedback-steps", "2"}});
  rule->attach(net, 5);
  OptimizerConfig oc;
  oc.name = "adam";
  oc.lr = 1e-3f;
  oc.clip_grad_norm = 5.0f;
  auto opt = make_optimizer(oc);
  for (uint32_t s = 0; s < 3; ++s) rule->pretrain_step(net, make_batch(kConvInput, 8, 40 + s, 5));
  for (uint32_t s = 0; s < 5; ++s) rule->train_step(net, make_batch(kConvInput, 8, 50 + s, 5), *opt);
  Named out;
  for (Param* p : net.params()) out.emplace_back(p->name, p->value.to_vector());
  for (auto& t : rule->state()) out.emplace_back(t.name, t.tensor.to_vector());
  omp_set_num_threads(threads);
  return out;
}

// The fixture's tensors of one rule ("bp" or "dtp").
Named fixture(const std::string& rule) {
  std::ifstream f(ml_test::source_dir() + "/tests/fixtures/dtp_linear_short_run.txt");
  REQUIRE(f.good());
  Named out;
  for (std::string line; std::getline(f, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream in(line);
    std::string r, name;
    size_t n = 0;
    in >> r >> name >> n;
    if (r != rule) continue;
    std::vector<float> v(n);
    for (auto& x : v) {
      std::string hex;
      in >> hex;
      const uint32_t bits = static_cast<uint32_t>(std::stoul(hex, nullptr, 16));
      std::memcpy(&x, &bits, sizeof x);
    }
    out.emplace_back(name, v);
  }
  return out;
}

}  // namespace

TEST_CASE("dtp's targets and forward update on an MLP match a double-precision oracle", "[rules][dtp]") {
  const float eta = 0.4f;  // large: the inverse's ReLUs switch between g(h) and g(t)
  Network net(kMlpSpec, kMlpInput, 4);
  auto rule = make_rule("dtp", FlagValues{{"tp-eta-hat", "0.4"}});
  rule->attach(net, 2);
  auto& r = inv(rule);
  REQUIRE(r.num_blocks() == 3);
  CHECK_FALSE(r.inverse_relu(0));
  CHECK(r.inverse_relu(1));
  CHECK(r.inverse_relu(2));
  for (size_t b = 1; b < 3; ++b) {
    const size_t n = r.feedback_bias(b).numel();
    r.feedback_bias(b).copy_from(Tensor::from_vector({static_cast<int>(n)}, random_floats(n, 60 + b, -0.3f, 0.3f)));
  }
  const int N = 8;
  const Batch batch = make_batch(kMlpInput, N, 11, 5);
  const auto t = r.targets(net, batch);
  rule->compute_gradients(net, batch);

  // The oracle: blocks as 1 x 1 convs, every value in double.
  std::vector<HostBlock> hb = {host_block(net, r, 0, 6, 1, 1, 1, 1, 0, true, false),
                               host_block(net, r, 1, 16, 1, 1, 1, 1, 0, true, false),
                               host_block(net, r, 2, 12, 1, 1, 1, 1, 0, false, false)};
  std::vector<int> arg;
  std::vector<std::vector<double>> h(4);  // h[0] the input, h[b + 1] block b's output
  h[0] = to_double(batch.x);
  for (size_t b = 0; b < 3; ++b) h[b + 1] = host_forward(hb[b], h[b], N, arg);
  std::vector<std::vector<double>> target(4);
  target[3] = h[3];
  for (int n = 0; n < N; ++n) {
    double m = -1e300, z = 0;
    for (int k = 0; k < 5; ++k) m = std::max(m, h[3][n * 5 + k]);
    for (int k = 0; k < 5; ++k) z += std::exp(h[3][n * 5 + k] - m);
    for (int k = 0; k < 5; ++k) {
      const double p = std::exp(h[3][n * 5 + k] - m) / z - (k == batch.host_labels[n] ? 1.0 : 0.0);
      target[3][n * 5 + k] -= eta * p;  // t_L = h_L - eta_hat dl_n/dh_L
    }
  }
  for (size_t b = 2; b >= 1; --b) {  // t_{b-1} = h_{b-1} + g_b(t_b) - g_b(h_b)
    const std::vector<double> gt = host_inverse(hb[b], target[b + 1], N, arg);
    const std::vector<double> gh = host_inverse(hb[b], h[b + 1], N, arg);
    target[b] = h[b];
    for (size_t i = 0; i < gt.size(); ++i) target[b][i] += gt[i] - gh[i];
  }
  for (size_t b = 0; b < 3; ++b) {
    INFO("block " << b);
    REQUIRE(t[b].size() == target[b + 1].size());
    for (size_t i = 0; i < t[b].size(); ++i) CHECK(t[b][i] == Approx(target[b + 1][i]).margin(1e-5));
  }
  // dW_b = sum_n delta_n h_{b-1,n}^T, delta = (h_b - t_b) / (eta_hat N) through block b's own ReLU mask
  for (size_t b = 0; b < 3; ++b) {
    Layer& l = net.layer(r.block(b).first);
    const int out = hb[b].K, in = hb[b].C;
    std::vector<double> dw(static_cast<size_t>(out) * in, 0.0), db(out, 0.0);
    for (int n = 0; n < N; ++n)
      for (int k = 0; k < out; ++k) {
        const double hv = h[b + 1][n * out + k];
        double delta = (hv - target[b + 1][n * out + k]) / (eta * N);
        if (hb[b].relu && !(hv > 0)) delta = 0;
        db[k] += delta;
        for (int i = 0; i < in; ++i) dw[k * in + i] += delta * h[b][n * in + i];
      }
    const std::vector<float> gw = l.weight()->grad.to_vector(), gb = l.bias()->grad.to_vector();
    double scale = 0, err = 0;
    for (size_t i = 0; i < dw.size(); ++i) {
      scale = std::max(scale, std::fabs(dw[i]));
      err = std::max(err, std::fabs(dw[i] - gw[i]));
    }
    for (size_t i = 0; i < db.size(); ++i) err = std::max(err, std::fabs(db[i] - gb[i]));
    INFO("block " << b << ": largest weight gradient " << scale << ", largest error " << err);
    CHECK(scale > 1e-3);
    CHECK(err <= 1e-4 * scale + 1e-7);
  }
}

TEST_CASE("with Q = W and c = 0 dtp is not backprop; dtp-linear is", "[rules][dtp][dtp-linear]") {
  for (const bool conv : {false, true}) {
    const char* spec = conv ? kConvSpec : kMlpSpec;
    const Shape in = conv ? kConvInput : kMlpInput;
    const Batch batch = make_batch(in, 8, 21, 5);
    Network a(spec, in, 3);
    auto bp = make_rule("bp");
    bp->attach(a, 1);
    const auto want = grads_of(*bp, a, batch);  // backprop's own walk through W
    for (const std::string name : {"dtp", "dtp-linear"}) {
      Network n(spec, in, 3);
      auto rule = make_rule(name);
      rule->attach(n, 1);
      auto& r = dynamic_cast<TargetPropRule&>(*rule);
      for (size_t b = 1; b < r.num_blocks(); ++b) r.feedback(b).copy_from(n.layer(r.block(b).first).weight()->value);
      const auto got = grads_of(*rule, n, batch);
      const auto params = n.params();
      const size_t top = params.size() - 2;  // the output layer's weight and bias
      for (size_t i = 0; i < params.size(); ++i) {
        INFO((conv ? "conv net, " : "MLP, ") << name << ", " << params[i]->name << ": largest difference to backprop "
                                             << max_diff(got[i], want[i]) << " of " << max_abs(want[i]));
        if (name == "dtp-linear" || i >= top) {
          CHECK(got[i] == want[i]);  // the output layer gets backprop's own error either way
        } else {
          CHECK(max_diff(got[i], want[i]) > 0.05 * max_abs(want[i]));
        }
      }
    }
  }
}

TEST_CASE("--tp-eta-hat changes dtp's forward update, not dtp-linear's", "[rules][dtp][dtp-linear]") {
  for (const bool conv : {false, true}) {
    const char* spec = conv ? kConvSpec : kMlpSpec;
    const Shape in = conv ? kConvInput : kMlpInput;
    const Batch batch = make_batch(in, 8, 23, 5);
    for (const std::string name : {"dtp", "dtp-linear"}) {
      std::vector<std::vector<std::vector<float>>> g;
      for (const std::string eta : {"0.01", "1"}) {
        Network n(spec, in, 3);
        auto rule = make_rule(name, FlagValues{{"tp-eta-hat", eta}});
        rule->attach(n, 1);  // the same Q for both rates
        g.push_back(grads_of(*rule, n, batch));
      }
      const size_t top = g[0].size() - 2;
      for (size_t i = 0; i < g[0].size(); ++i) {
        const double d = max_diff(g[0][i], g[1][i]), m = max_abs(g[0][i]);
        INFO((conv ? "conv net, " : "MLP, ") << name << ", param " << i << ": eta_hat 0.01 -> 1 moves the update by "
                                             << d << " of " << m);
        CHECK(m > 0);
        if (name == "dtp" && i < top) CHECK(d > 0.05 * m);
        else CHECK(d <= 1e-4 * m);  // the same up to rounding
      }
    }
  }
}

TEST_CASE("training only dtp's inverses makes their reconstruction loss fall", "[rules][dtp]") {
  for (const bool conv : {false, true}) {
    const char* spec = conv ? kConvSpec : kMlpSpec;
    const Shape in = conv ? kConvInput : kMlpInput;
    Network net(spec, in, 5);
    auto rule = make_rule("dtp", FlagValues{{"feedback-lr", "3e-3"}});
    rule->attach(net, 2);
    auto& r = inv(rule);
    std::vector<std::vector<float>> w0;
    for (Param* p : net.params()) w0.push_back(p->value.to_vector());
    const Batch probe = make_batch(in, 128, 99, 5);
    const auto before = r.feedback_losses(net, probe);
    for (int step = 0; step < 300; ++step) r.pretrain_step(net, make_batch(in, 16, 100 + step % 8, 5));
    const auto after = r.feedback_losses(net, probe);
    for (size_t b = 1; b < before.size(); ++b) {
      INFO((conv ? "conv net" : "MLP") << ", block " << b << ": loss " << before[b] << " -> " << after[b]);
      // the conv net's inverses reconstruct more from fewer numbers (conv2: 484 values from 24), so less of
      // their loss can go in the same steps
      CHECK(after[b] < (conv ? 0.75 : 0.5) * before[b]);
    }
    // only the inverses moved
    for (size_t i = 0; i < w0.size(); ++i) CHECK(net.params()[i]->value.to_vector() == w0[i]);
  }
}

TEST_CASE("dtp's reconstruction gradient matches central differences in double", "[rules][dtp][gradient]") {
  Network net(kConvSpec, kConvInput, 7);
  auto rule = make_rule("dtp");
  rule->attach(net, 3);
  auto& r = dynamic_cast<DifferenceTargetProp&>(*rule);
  const int N = 3;
  for (size_t b = 1; b < r.num_blocks(); ++b) {
    const size_t nc = r.feedback_bias(b).numel();
    r.feedback_bias(b).copy_from(Tensor::from_vector({static_cast<int>(nc)}, random_floats(nc, 70 + b, -0.2f, 0.2f)));
    HostBlock hb = conv_spec_block(net, r, b);
    const Shape shape = b == 1 ? Shape{N, 4, 11, 11} : Shape{N, hb.C};
    const std::vector<float> xf = random_floats(static_cast<size_t>(N) * hb.in_size(), 80 + b);
    const double loss = r.reconstruction(net, b, Tensor::from_vector(shape, xf));
    const std::vector<double> x(xf.begin(), xf.end());
    INFO("block " << b);
    CHECK(loss == Approx(host_reconstruction(hb, x, N)).epsilon(1e-4));
    check_gradient(hb, r.feedback_grad(b).to_vector(), r.feedback_bias_grad(b).to_vector(),
                   [&](const HostBlock& s) { return host_reconstruction(s, x, N); });
  }
}

TEST_CASE("ldrl's difference-loss gradient through the nonlinear inverse matches central differences in double",
          "[rules][ldrl][gradient]") {
  Network net(kConvSpec, kConvInput, 7);
  auto rule = make_rule("ldrl");
  rule->attach(net, 3);
  auto& r = dynamic_cast<LayerwiseDRL&>(*rule);
  const int N = 3;
  const double sigma = 0.09;  // the default --tp-noise
  for (size_t b = 1; b < r.num_blocks(); ++b) {
    const size_t nc = r.feedback_bias(b).numel();
    r.feedback_bias(b).copy_from(Tensor::from_vector({static_cast<int>(nc)}, random_floats(nc, 90 + b, -0.2f, 0.2f)));
    HostBlock hb = conv_spec_block(net, r, b);
    const int out = b == 1 ? hb.K * 2 * 2 : hb.K;
    const Shape shape = b == 1 ? Shape{N, 4, 11, 11} : Shape{N, hb.C};
    const size_t n_in = static_cast<size_t>(N) * hb.in_size();
    const std::vector<float> xf = random_floats(n_in, 100 + b, 0.0f, 1.0f);
    std::vector<float> df = random_floats(n_in, 110 + b), ef = random_floats(static_cast<size_t>(N) * out, 120 + b);
    for (auto& v : df) v *= static_cast<float>(sigma);
    for (auto& v : ef) v *= static_cast<float>(sigma);
    const Shape out_shape = {N, out};
    const double loss = r.difference_loss(net, b, Tensor::from_vector(shape, xf), Tensor::from_vector(shape, df),
                                          Tensor::from_vector(out_shape, ef));
    const std::vector<double> x(xf.begin(), xf.end()), d(df.begin(), df.end()), e(ef.begin(), ef.end());
    INFO("block " << b);
    CHECK(loss == Approx(host_difference_loss(hb, x, d, e, N, sigma)).epsilon(1e-3).margin(1e-3));
    check_gradient(hb, r.feedback_grad(b).to_vector(), r.feedback_bias_grad(b).to_vector(),
                   [&](const HostBlock& s) { return host_difference_loss(s, x, d, e, N, sigma); });
  }
}

TEST_CASE("dtp-linear reproduces the dtp of before the nonlinear inverse bit for bit", "[rules][dtp-linear]") {
  // bp is the control: where its bits differ from the fixture's, this build sums in another order
  // (another instruction set, compiler flags or GEMM), and the comparison falls back to a tolerance.
  const Named bp_now = short_run("bp"), bp_then = fixture("bp");
  const Named now = short_run("dtp-linear"), then = fixture("dtp");
  REQUIRE(then.size() == now.size());
  REQUIRE(bp_then.size() == bp_now.size());
  bool same_platform = true;
  for (size_t i = 0; i < bp_now.size(); ++i) same_platform = same_platform && bp_now[i] == bp_then[i];
  if (!same_platform)
    WARN("bp's short run differs from the fixture's: dtp-linear compared within 1e-4, not bit for bit");
  for (size_t i = 0; i < now.size(); ++i) {
    INFO(then[i].first);
    CHECK(now[i].first == then[i].first);
    REQUIRE(now[i].second.size() == then[i].second.size());
    if (same_platform) CHECK(now[i].second == then[i].second);
    else CHECK(max_diff(now[i].second, then[i].second) <= 1e-4 * (max_abs(then[i].second) + 1e-3));
  }
}

TEST_CASE("ldrl's updates move towards backprop's while only its nonlinear inverses learn", "[rules][ldrl]") {
  const FlagValues o{{"feedback-lr", "3e-3"}, {"feedback-steps", "1"}};
  Network net(kConvSpec, kConvInput, 6);
  auto rule = make_rule("ldrl", o);
  rule->attach(net, 3);
  auto& r = inv(rule);
  auto bp = make_rule("bp");
  const Batch probe = make_batch(kConvInput, 32, 999, 5);
  // per weight layer: the angle between ldrl's update and backprop's on the probe batch
  auto angles = [&] {
    const auto want = grads_of(*bp, net, probe), got = grads_of(*rule, net, probe);
    std::vector<double> a;
    for (size_t i = 0; i < want.size(); i += 2) a.push_back(angle_degrees(got[i], want[i]));
    return a;
  };
  const auto before = angles();
  for (int step = 0; step < 300; ++step) r.pretrain_step(net, make_batch(kConvInput, 16, 200 + step % 8, 5));
  const auto after = angles();
  // The inverse's ReLU acts on h_{b-1}, f_b's mask on the weight layer's output: g_b's Jacobian cannot take
  // the form of f_b's transposed one, so the angles fall but stay far from ldrl-linear's (test_target_prop.cpp).
  for (size_t b = 0; b + 1 < before.size(); ++b) {
    INFO("block " << b << ": angle to backprop's update " << before[b] << " -> " << after[b] << " degrees");
    CHECK(after[b] < before[b] - 10);
  }
  CHECK(after.back() < 1e-3);  // the output layer gets backprop's own error
}
