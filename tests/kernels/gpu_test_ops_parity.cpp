// Every kernel entry point that has a CPU twin, CUDA against CPU on the same random inputs,
// from one table (the model: ggml's test-backend-ops). A row is the entry point's name, a few
// shapes (odd sizes, one past a 256-thread block, a LeNet-sized one), a function that fills the
// inputs, calls <op>_cpu and <op>_cuda and returns both outputs, and the tolerance
// |cuda - cpu| <= atol + rtol |cpu|: exact for data movement, ReLU and max pooling; atol + rtol
// for arithmetic, the per-op tests' figures (tests/kernels/gpu_test_<op>.cpp, tests/rules/
// gpu_test_perturbation.cpp and gpu_test_target_prop.cpp say why each is what it is), which keep
// their more specific checks (aliasing, null pointers, ties, repeatability). Adding an op = one row.
//
// Every buffer starts from the same random values on both sides, outputs included: an element
// the CUDA side fails to write, or an accumulating output it overwrites, shows as a mismatch.
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "engine/int_buffer.h"
#include "kernels/channel_bias/channel_bias.h"
#include "kernels/conv2d/conv2d.h"
#include "kernels/elementwise/elementwise.h"
#include "kernels/gather/gather.h"
#include "kernels/global_avg_pool/global_avg_pool.h"
#include "kernels/linear/linear.h"
#include "kernels/log_softmax_nll/log_softmax_nll.h"
#include "kernels/maxpool2d/maxpool2d.h"
#include "kernels/noise/noise.h"
#include "kernels/optimizer/optimizer_update.h"
#include "kernels/pcn_update/pcn_update.h"
#include "kernels/perturb/perturb.h"
#include "kernels/relu/relu.h"
#include "gpu_test_common.h"

namespace {

// A shape in one vocabulary for all rows; each row's comment says which fields it reads.
struct Dims {
  int N = 1, C = 1, H = 1, W = 1;              // an [N, C, H, W] tensor; flat ops take all N*C*H*W values
  int K = 0, R = 0, S = 0, stride = 1, pad = 0;  // conv: K filters of R x S; linear: out = K; pool: window R
  int extra = 0;                               // copies (perturb_copies), source rows (gather_rows)
  const char* note = "";
  size_t n() const { return static_cast<size_t>(N) * C * H * W; }
  int HW() const { return H * W; }
  std::string str() const {
    std::ostringstream s;
    s << "N=" << N << " C=" << C << " H=" << H << " W=" << W;
    if (K) s << " K=" << K;
    if (R) s << " R=" << R;
    if (S) s << " S=" << S;
    if (stride != 1) s << " stride=" << stride;
    if (pad) s << " pad=" << pad;
    if (extra) s << " extra=" << extra;
    s << " (" << n() << " values)";
    if (*note) s << " " << note;
    return s.str();
  }
};

// |cuda - cpu| <= atol + rtol |cpu|, plus atol_for(L) (engine_test_util.h) when `reduction`
// gives the length L of the float sums behind each output (GEMMs, bias gradients).
struct Tol {
  double atol = 0, rtol = 0;
  long long (*reduction)(const Dims&) = nullptr;
  double atol_at(const Dims& d) const { return atol + (reduction ? atol_for(reduction(d)) : 0.0); }
};
const Tol kExact{};

struct Output {
  std::string name;
  std::vector<float> cpu, cuda;
  std::optional<Tol> tol = std::nullopt;  // only where it differs from the row's
};

// One case's buffers, each on the host and on the device with the same values.
class Buffers {
 public:
  explicit Buffers(uint32_t seed) : seed_(seed) {}
  // A float buffer of n values drawn in [lo, hi), or of the given values; returns its index.
  int add(size_t n, float lo = -1.0f, float hi = 1.0f) { return add(random_vector(n, seed_++, lo, hi)); }
  int add(std::vector<float> v) {
    dev_.push_back(on_gpu(v));
    host_.push_back(std::move(v));
    return static_cast<int>(host_.size()) - 1;
  }
  // An int32 buffer of n values drawn in [0, range), or of the given values.
  int add_ints(size_t n, int range) {
    std::mt19937 gen(seed_++);
    std::uniform_int_distribution<int32_t> draw(0, range - 1);
    std::vector<int32_t> v(n);
    for (auto& x : v) x = draw(gen);
    return add_ints(std::move(v));
  }
  int add_ints(std::vector<int32_t> v) {
    idev_.emplace_back(v.size(), Device::CUDA);
    idev_.back().upload(v.data(), v.size());
    ihost_.push_back(std::move(v));
    return static_cast<int>(ihost_.size()) - 1;
  }
  float* cpu(int k) { return host_[k].data(); }
  float* gpu(int k) { return dev_[k].data(); }
  int32_t* icpu(int k) { return ihost_[k].data(); }
  int32_t* igpu(int k) { return idev_[k].data(); }
  std::vector<float>& host(int k) { return host_[k]; }

  Output out(const std::string& name, int k, std::optional<Tol> tol = std::nullopt) const {
    return {name, host_[k], dev_[k].to_vector(), tol};
  }
  Output out_ints(const std::string& name, int k) const {  // as floats: exact below 2^24
    const std::vector<int32_t> d = idev_[k].to_vector();
    return {name, {ihost_[k].begin(), ihost_[k].end()}, {d.begin(), d.end()}, kExact};
  }

 private:
  uint32_t seed_;
  std::vector<std::vector<float>> host_;
  std::vector<Tensor> dev_;
  std::vector<std::vector<int32_t>> ihost_;
  std::vector<ml::IntBuffer> idev_;
};

using Outputs = std::vector<Output>;

struct OpRow {
  std::string op;  // the entry point without its _cpu / _cuda suffix
  std::vector<Dims> shapes;
  std::function<Outputs(const Dims&, Buffers&)> run;
  Tol tol;  // for every output that does not carry its own
};

ml::Conv2dShape conv(const Dims& d) {
  ml::Conv2dShape s;
  s.N = d.N, s.C = d.C, s.H = d.H, s.W = d.W, s.K = d.K, s.R = d.R, s.S = d.S, s.stride = d.stride, s.pad = d.pad;
  return s;
}
size_t conv_out(const Dims& d) {
  const auto s = conv(d);
  return static_cast<size_t>(s.N) * s.K * s.P() * s.Q();
}
ml::LinearShape linear(const Dims& d) { return {d.N, d.C, d.K}; }
ml::Pool2dShape pool(const Dims& d) {
  ml::Pool2dShape s;
  s.N = d.N, s.C = d.C, s.H = d.H, s.W = d.W, s.kernel = d.R, s.stride = d.stride;
  return s;
}
size_t pool_out(const Dims& d) {
  const auto s = pool(d);
  return static_cast<size_t>(s.N) * s.C * s.P() * s.Q();
}
ml::ChannelShape channels(const Dims& d) { return {d.N, d.C, d.HW()}; }

// ---- the shapes the rows share ----
// conv: odd sizes, padding, stride 2, 64x64 tiles with M not a multiple, the split-K forward, LeNet's layers
const std::vector<Dims> kConv = {
    {.N = 3, .C = 2, .H = 7, .W = 9, .K = 4, .R = 3, .S = 3, .pad = 1},
    {.N = 1, .C = 3, .H = 9, .W = 7, .K = 5, .R = 3, .S = 3, .stride = 2, .pad = 1},
    {.N = 2, .C = 3, .H = 12, .W = 10, .K = 5, .R = 3, .S = 2, .stride = 2, .pad = 1},
    {.N = 2, .C = 33, .H = 9, .W = 9, .K = 40, .R = 3, .S = 3, .pad = 1},
    {.N = 1, .C = 64, .H = 6, .W = 6, .K = 33, .R = 3, .S = 3, .pad = 1},
    {.N = 64, .C = 1, .H = 28, .W = 28, .K = 32, .R = 3, .S = 3, .note = "LeNet conv1"},
    {.N = 64, .C = 32, .H = 26, .W = 26, .K = 64, .R = 3, .S = 3, .note = "LeNet conv2"}};
// linear: N x in (C) -> out (K)
const std::vector<Dims> kLinear = {{.N = 1, .C = 1, .K = 1},
                                   {.N = 3, .C = 7, .K = 5},
                                   {.N = 33, .C = 65, .K = 70},
                                   {.N = 5, .C = 1000, .K = 31},
                                   {.N = 64, .C = 9216, .K = 128, .note = "LeNet fc1"},
                                   {.N = 64, .C = 128, .K = 10, .note = "LeNet fc2"}};
// max pooling: window R, stride; floor-mode leftovers, overlapping windows
const std::vector<Dims> kPool = {{.N = 2, .C = 3, .H = 8, .W = 8, .R = 2, .stride = 2},
                                 {.N = 1, .C = 2, .H = 7, .W = 9, .R = 2, .stride = 2},
                                 {.N = 2, .C = 2, .H = 5, .W = 6, .R = 3, .stride = 1},
                                 {.N = 3, .C = 1, .H = 9, .W = 9, .R = 3, .stride = 2},
                                 {.N = 64, .C = 64, .H = 24, .W = 24, .R = 2, .stride = 2, .note = "LeNet pool"}};
// log-softmax: N x C classes: around a warp, many classes per lane, the target use
const std::vector<Dims> kClasses = {{.N = 1, .C = 1},  {.N = 7, .C = 31}, {.N = 9, .C = 32},
                                    {.N = 5, .C = 33}, {.N = 3, .C = 1000}, {.N = 64, .C = 10, .note = "LeNet logits"}};
// elementwise ops over all N*C*H*W values
const std::vector<Dims> kFlat = {{.N = 1},
                                 {.N = 7},
                                 {.N = 257},
                                 {.N = 3, .C = 5, .H = 7, .W = 11},
                                 {.N = 64, .C = 32, .H = 26, .W = 26, .note = "LeNet conv1 output"}};
// optimizer updates over N parameters
const std::vector<Dims> kParams = {{.N = 1}, {.N = 257}, {.N = 1000}, {.N = 9216 * 128 + 5, .note = "LeNet fc1 + 5"}};
// per-channel ops on [N, C, HW]: a plane past one block; the PCN's first level and its top
const std::vector<Dims> kPlanes = {{.N = 1},
                                   {.N = 2, .C = 3, .H = 5},
                                   {.N = 3, .C = 5, .H = 257},
                                   {.N = 7, .C = 3, .H = 1},
                                   {.N = 64, .C = 32, .H = 28, .W = 28, .note = "small PCN level 1"},
                                   {.N = 64, .C = 64, .H = 7, .W = 7, .note = "small PCN top"}};
// DTP's feedback bias: a conv map and a flat layer
const std::vector<Dims> kBias = {{.N = 1},
                                 {.N = 3, .C = 5, .H = 1000},
                                 {.N = 64, .C = 256},
                                 {.N = 64, .C = 32, .H = 26, .W = 26, .note = "LeNet conv2 input"}};
// gather: N rows of C*H*W floats from `extra` source rows
const std::vector<Dims> kGather = {{.N = 1, .extra = 1},
                                   {.N = 7, .C = 3, .extra = 10},
                                   {.N = 5, .C = 257, .extra = 3},
                                   {.N = 64, .H = 28, .W = 28, .extra = 1000, .note = "Fashion-MNIST batch"}};
// node perturbation: M = N*C*H*W values per copy, `extra` copies
const std::vector<Dims> kCopies = {{.N = 1, .extra = 1},
                                   {.N = 7, .extra = 2},
                                   {.N = 4, .C = 250, .extra = 5},
                                   {.N = 64, .C = 64, .H = 24, .W = 24, .extra = 2, .note = "LeNet conv2 output"}};
// scale_rows: N rows of C*H*W
const std::vector<Dims> kRows = {{.N = 1},
                                 {.N = 7, .C = 3},
                                 {.N = 6, .C = 257},
                                 {.N = 128, .C = 64, .H = 24, .W = 24, .note = "LeNet conv2 output, 2 copies"}};

long long conv_fwd_L(const Dims& d) { return static_cast<long long>(d.C) * d.R * d.S; }
long long conv_bwd_input_L(const Dims& d) { return static_cast<long long>(d.K) * d.R * d.S; }
long long conv_bwd_weight_L(const Dims& d) {
  const auto s = conv(d);
  return static_cast<long long>(s.N) * s.P() * s.Q();
}
long long linear_fwd_L(const Dims& d) { return d.C; }
long long linear_bwd_input_L(const Dims& d) { return d.K; }
long long batch_L(const Dims& d) { return d.N; }
long long plane_sum_L(const Dims& d) { return static_cast<long long>(d.N) * d.HW(); }

// The tolerance of a per-channel rate gradient of the PCN: a sum of N*HW products summed in
// another order, 1e-5 of the sum of |terms| (gpu_test_pcn_update.cpp).
Tol rate_sum_tol(const std::vector<float>& a, const std::vector<float>& b, const std::vector<float>* c) {
  double scale = 0;
  for (size_t i = 0; i < a.size(); ++i) scale += std::fabs(a[i] * (c ? b[i] - (*c)[i] : b[i]));
  return {1e-5 * scale + 1e-6, 1e-6};
}

const std::vector<OpRow>& op_table() {
  static const std::vector<OpRow> table = {
      // ---- conv2d (Dims: N C H W, K R S, stride, pad)
      {"conv2d_forward", kConv,
       [](const Dims& d, Buffers& b) {
         const int x = b.add(d.n()), w = b.add(size_t(d.K) * d.C * d.R * d.S), bias = b.add(d.K),
                   y = b.add(conv_out(d));
         ml::conv2d_forward_cpu(b.cpu(y), b.cpu(x), b.cpu(w), b.cpu(bias), conv(d));
         ml::conv2d_forward_cuda(b.gpu(y), b.gpu(x), b.gpu(w), b.gpu(bias), conv(d));
         return Outputs{b.out("y", y)};
       },
       {0, 1e-4, conv_fwd_L}},
      {"conv2d_backward_input", kConv,
       [](const Dims& d, Buffers& b) {
         const int dy = b.add(conv_out(d)), w = b.add(size_t(d.K) * d.C * d.R * d.S), dx = b.add(d.n());
         ml::conv2d_backward_input_cpu(b.cpu(dx), b.cpu(dy), b.cpu(w), conv(d));
         ml::conv2d_backward_input_cuda(b.gpu(dx), b.gpu(dy), b.gpu(w), conv(d));
         return Outputs{b.out("dx", dx)};
       },
       {0, 1e-4, conv_bwd_input_L}},
      {"conv2d_backward_weight", kConv,
       [](const Dims& d, Buffers& b) {
         const int dy = b.add(conv_out(d)), x = b.add(d.n()), dw = b.add(size_t(d.K) * d.C * d.R * d.S),
                   db = b.add(d.K);
         ml::conv2d_backward_weight_cpu(b.cpu(dw), b.cpu(db), b.cpu(dy), b.cpu(x), conv(d));
         ml::conv2d_backward_weight_cuda(b.gpu(dw), b.gpu(db), b.gpu(dy), b.gpu(x), conv(d));
         return Outputs{b.out("dw", dw), b.out("db", db)};
       },
       {0, 1e-4, conv_bwd_weight_L}},
      // ---- linear (Dims: N, in = C, out = K)
      {"linear_forward", kLinear,
       [](const Dims& d, Buffers& b) {
         const int x = b.add(size_t(d.N) * d.C), w = b.add(size_t(d.K) * d.C), bias = b.add(d.K),
                   y = b.add(size_t(d.N) * d.K);
         ml::linear_forward_cpu(b.cpu(y), b.cpu(x), b.cpu(w), b.cpu(bias), linear(d));
         ml::linear_forward_cuda(b.gpu(y), b.gpu(x), b.gpu(w), b.gpu(bias), linear(d));
         return Outputs{b.out("y", y)};
       },
       {0, 1e-4, linear_fwd_L}},
      {"linear_backward_input", kLinear,
       [](const Dims& d, Buffers& b) {
         const int dy = b.add(size_t(d.N) * d.K), w = b.add(size_t(d.K) * d.C), dx = b.add(size_t(d.N) * d.C);
         ml::linear_backward_input_cpu(b.cpu(dx), b.cpu(dy), b.cpu(w), linear(d));
         ml::linear_backward_input_cuda(b.gpu(dx), b.gpu(dy), b.gpu(w), linear(d));
         return Outputs{b.out("dx", dx)};
       },
       {0, 1e-4, linear_bwd_input_L}},
      {"linear_backward_weight", kLinear,
       [](const Dims& d, Buffers& b) {
         const int dy = b.add(size_t(d.N) * d.K), x = b.add(size_t(d.N) * d.C), dw = b.add(size_t(d.K) * d.C),
                   db = b.add(d.K);
         ml::linear_backward_weight_cpu(b.cpu(dw), b.cpu(db), b.cpu(dy), b.cpu(x), linear(d));
         ml::linear_backward_weight_cuda(b.gpu(dw), b.gpu(db), b.gpu(dy), b.gpu(x), linear(d));
         return Outputs{b.out("dw", dw), b.out("db", db)};
       },
       {0, 1e-4, batch_L}},
      // ---- log_softmax_nll (Dims: N samples, C classes; logits in [-8, 8])
      {"log_softmax_nll_forward", kClasses,
       [](const Dims& d, Buffers& b) {
         const int z = b.add(size_t(d.N) * d.C, -8.0f, 8.0f), labels = b.add_ints(d.N, d.C),
                   logp = b.add(size_t(d.N) * d.C), loss = b.add(d.N);
         ml::log_softmax_nll_forward_cpu(b.cpu(logp), b.cpu(loss), b.cpu(z), b.icpu(labels), d.N, d.C);
         ml::log_softmax_nll_forward_cuda(b.gpu(logp), b.gpu(loss), b.gpu(z), b.igpu(labels), d.N, d.C);
         return Outputs{b.out("logp", logp), b.out("loss", loss)};
       },
       {1e-5, 1e-6}},
      {"log_softmax_nll_backward", kClasses,
       [](const Dims& d, Buffers& b) {
         std::vector<float> logp(size_t(d.N) * d.C), loss(d.N);
         const int labels = b.add_ints(d.N, d.C);
         const auto z = random_vector(logp.size(), 77, -8.0f, 8.0f);
         ml::log_softmax_nll_forward_cpu(logp.data(), loss.data(), z.data(), b.icpu(labels), d.N, d.C);
         const int lp = b.add(logp), dz = b.add(logp.size());
         ml::log_softmax_nll_backward_cpu(b.cpu(dz), b.cpu(lp), b.icpu(labels), d.N, d.C, 1.0f / d.N);
         ml::log_softmax_nll_backward_cuda(b.gpu(dz), b.gpu(lp), b.igpu(labels), d.N, d.C, 1.0f / d.N);
         return Outputs{b.out("dlogits", dz)};
       },
       {1e-6, 1e-5}},
      // ---- maxpool2d (Dims: N C H W, window R, stride): the same comparisons in the same order
      {"maxpool2d_forward", kPool,
       [](const Dims& d, Buffers& b) {
         const int x = b.add(d.n()), y = b.add(pool_out(d)), arg = b.add_ints(pool_out(d), 1);
         ml::maxpool2d_forward_cpu(b.cpu(y), b.icpu(arg), b.cpu(x), pool(d));
         ml::maxpool2d_forward_cuda(b.gpu(y), b.igpu(arg), b.gpu(x), pool(d));
         return Outputs{b.out("y", y), b.out_ints("argmax", arg)};
       },
       kExact},
      {"maxpool2d_backward", kPool,
       [](const Dims& d, Buffers& b) {
         std::vector<float> y(pool_out(d));
         std::vector<int32_t> arg(y.size());
         const auto x = random_vector(d.n(), 78);
         ml::maxpool2d_forward_cpu(y.data(), arg.data(), x.data(), pool(d));
         const int a = b.add_ints(arg), dy = b.add(y.size()), dx = b.add(d.n());
         ml::maxpool2d_backward_cpu(b.cpu(dx), b.cpu(dy), b.icpu(a), pool(d));
         ml::maxpool2d_backward_cuda(b.gpu(dx), b.gpu(dy), b.igpu(a), pool(d));
         return Outputs{b.out("dx", dx)};
       },
       kExact},
      // ---- optimizer (Dims: N parameters); one step with momentum, weight decay and a clipping scale
      {"sgd_update", kParams,
       [](const Dims& d, Buffers& b) {
         const int w = b.add(d.n()), v = b.add(d.n()), g = b.add(d.n());
         ml::SgdConfig c{0.05f, 0.9f, 5e-4f, 0.37f};
         ml::sgd_update_cpu(b.cpu(w), b.cpu(v), b.cpu(g), d.n(), c);
         ml::sgd_update_cuda(b.gpu(w), b.gpu(v), b.gpu(g), d.n(), c);
         return Outputs{b.out("w", w), b.out("velocity", v)};
       },
       {1e-5, 1e-5}},
      {"adam_update", kParams,
       [](const Dims& d, Buffers& b) {
         const int w = b.add(d.n()), m = b.add(d.n()), v = b.add(d.n(), 0.0f, 1.0f), g = b.add(d.n());
         ml::AdamConfig c{1e-2f, 0.8f, 0.99f, 1e-6f, 1e-2f, 0.37f};
         ml::adam_update_cpu(b.cpu(w), b.cpu(m), b.cpu(v), b.cpu(g), d.n(), c, 3);
         ml::adam_update_cuda(b.gpu(w), b.gpu(m), b.gpu(v), b.gpu(g), d.n(), c, 3);
         return Outputs{b.out("w", w), b.out("m", m), b.out("v", v)};
       },
       {1e-5, 1e-5}},
      // one double per array, in another order: its relative difference from the CPU's, which a float holds
      {"sum_squares", kParams,
       [](const Dims& d, Buffers& b) {
         const int x = b.add(d.n());
         const double ref = ml::sum_squares_cpu(b.cpu(x), d.n());
         const float* arrays[] = {b.gpu(x)};
         const size_t sizes[] = {d.n()};
         double sum = -1;
         ml::sum_squares_cuda(arrays, sizes, 1, &sum);
         return Outputs{{"sum / cpu sum - 1", {0.0f}, {static_cast<float>(sum / ref - 1.0)}}};
       },
       {1e-12, 0}},
      // ---- relu (Dims: all values; x[0] = 0, the kink)
      {"relu_forward", kFlat,
       [](const Dims& d, Buffers& b) {
         auto xv = random_vector(d.n(), 81);
         xv[0] = 0.0f;
         const int x = b.add(xv), y = b.add(d.n());
         ml::relu_forward_cpu(b.cpu(y), b.cpu(x), d.n());
         ml::relu_forward_cuda(b.gpu(y), b.gpu(x), d.n());
         return Outputs{b.out("y", y)};
       },
       kExact},
      {"relu_backward", kFlat,
       [](const Dims& d, Buffers& b) {
         std::vector<float> y = random_vector(d.n(), 79);
         ml::relu_forward_cpu(y.data(), y.data(), d.n());
         const int fy = b.add(y), dy = b.add(d.n()), dx = b.add(d.n());
         ml::relu_backward_cpu(b.cpu(dx), b.cpu(dy), b.cpu(fy), d.n());
         ml::relu_backward_cuda(b.gpu(dx), b.gpu(dy), b.gpu(fy), d.n());
         return Outputs{b.out("dx", dx)};
       },
       kExact},
      // ---- channel_bias (Dims: N C H W as [N, C, HW])
      {"channel_bias_add", kBias,
       [](const Dims& d, Buffers& b) {
         const int bias = b.add(d.C), y = b.add(d.n());
         ml::channel_bias_add_cpu(b.cpu(y), b.cpu(bias), d.N, d.C, d.HW());
         ml::channel_bias_add_cuda(b.gpu(y), b.gpu(bias), d.N, d.C, d.HW());
         return Outputs{b.out("y += b", y)};
       },
       kExact},
      {"channel_bias_grad", kBias,
       [](const Dims& d, Buffers& b) {
         const int dy = b.add(d.n()), db = b.add(d.C);
         ml::channel_bias_grad_cpu(b.cpu(db), b.cpu(dy), d.N, d.C, d.HW());
         ml::channel_bias_grad_cuda(b.gpu(db), b.gpu(dy), d.N, d.C, d.HW());
         return Outputs{b.out("db", db)};
       },
       {0, 1e-5, plane_sum_L}},
      // ---- elementwise (Dims: all values); nvcc may fuse axpby's multiply-add
      {"axpby", kFlat,
       [](const Dims& d, Buffers& b) {
         const int x = b.add(d.n()), y = b.add(d.n());
         ml::axpby_cpu(b.cpu(y), b.cpu(x), 0.3f, 0.9f, d.n());
         ml::axpby_cuda(b.gpu(y), b.gpu(x), 0.3f, 0.9f, d.n());
         return Outputs{b.out("y", y)};
       },
       {1e-6, 1e-6}},
      {"sign_feedback", kFlat,
       [](const Dims& d, Buffers& b) {
         auto wv = random_vector(d.n(), 80);
         wv[0] = 0.0f;  // sign(0) = 0
         const int w = b.add(wv), m = b.add(d.n()), out = b.add(d.n()), out_uniform = b.add(d.n());
         ml::sign_feedback_cpu(b.cpu(out), b.cpu(w), b.cpu(m), 0.25f, d.n());
         ml::sign_feedback_cuda(b.gpu(out), b.gpu(w), b.gpu(m), 0.25f, d.n());
         ml::sign_feedback_cpu(b.cpu(out_uniform), b.cpu(w), nullptr, 0.25f, d.n());
         ml::sign_feedback_cuda(b.gpu(out_uniform), b.gpu(w), nullptr, 0.25f, d.n());
         return Outputs{b.out("sign(w) |m|", out), b.out("sign(w) 0.25", out_uniform)};
       },
       kExact},
      // ---- gather (Dims: N rows of C*H*W floats from `extra` source rows, with labels)
      {"gather_rows", kGather,
       [](const Dims& d, Buffers& b) {
         const size_t row = size_t(d.C) * d.HW();
         const int src = b.add(row * d.extra), labels_src = b.add_ints(d.extra, 10), index = b.add_ints(d.N, d.extra),
                   dst = b.add(row * d.N), labels_dst = b.add_ints(d.N, 10);
         ml::gather_rows_cpu(b.cpu(dst), b.icpu(labels_dst), b.cpu(src), b.icpu(labels_src), b.icpu(index), d.N, row);
         ml::gather_rows_cuda(b.gpu(dst), b.igpu(labels_dst), b.gpu(src), b.igpu(labels_src), b.igpu(index), d.N, row);
         return Outputs{b.out("rows", dst), b.out_ints("labels", labels_dst)};
       },
       kExact},
      // ---- global_avg_pool (Dims: N C H W): the plane sums in double, in another order
      {"global_avg_pool_forward", kPlanes,
       [](const Dims& d, Buffers& b) {
         const int x = b.add(d.n()), y = b.add(size_t(d.N) * d.C);
         ml::global_avg_pool_forward_cpu(b.cpu(y), b.cpu(x), d.N, d.C, d.HW());
         ml::global_avg_pool_forward_cuda(b.gpu(y), b.gpu(x), d.N, d.C, d.HW());
         return Outputs{b.out("y", y)};
       },
       {1e-6, 0}},
      {"global_avg_pool_backward", kPlanes,
       [](const Dims& d, Buffers& b) {
         const int dy = b.add(size_t(d.N) * d.C), dx = b.add(d.n());
         ml::global_avg_pool_backward_cpu(b.cpu(dx), b.cpu(dy), d.N, d.C, d.HW());
         ml::global_avg_pool_backward_cuda(b.gpu(dx), b.gpu(dy), d.N, d.C, d.HW());
         return Outputs{b.out("dx", dx)};
       },
       kExact},
      // ---- noise (Dims: all values): the same counter-based draw on both sides
      {"add_normal_noise", kFlat,
       [](const Dims& d, Buffers& b) {
         const int x = b.add(d.n()), y = b.add(d.n()), z = b.add(d.n());
         ml::add_normal_noise_cpu(b.cpu(y), b.cpu(x), 0.3f, 1234, d.n());
         ml::add_normal_noise_cuda(b.gpu(y), b.gpu(x), 0.3f, 1234, d.n());
         ml::add_normal_noise_cpu(b.cpu(z), nullptr, 0.3f, 99, d.n());
         ml::add_normal_noise_cuda(b.gpu(z), nullptr, 0.3f, 99, d.n());
         return Outputs{b.out("x + noise", y), b.out("noise alone", z)};
       },
       {1e-6, 1e-5}},
      // ---- pcn_update (Dims: N C H W as [N, C, HW]; some rates negative: rate 0, no gradient).
      // The elementwise parts are exact; the rate gradients carry their own tolerance.
      {"pcn_blend_forward", kPlanes,
       [](const Dims& d, Buffers& b) {
         const int p = b.add(d.n()), r = b.add(d.n()), a = b.add(d.C, -0.2f, 1.0f), out = b.add(d.n());
         ml::pcn_blend_forward_cpu(b.cpu(out), b.cpu(p), b.cpu(r), b.cpu(a), channels(d));
         ml::pcn_blend_forward_cuda(b.gpu(out), b.gpu(p), b.gpu(r), b.gpu(a), channels(d));
         return Outputs{b.out("out", out)};
       },
       kExact},
      {"pcn_blend_backward", kPlanes,
       [](const Dims& d, Buffers& b) {
         const int dout = b.add(d.n()), out = b.add(d.n()), p = b.add(d.n()), r = b.add(d.n()),
                   a = b.add(d.C, -0.2f, 1.0f);
         const Tol da_tol = rate_sum_tol(b.host(dout), b.host(p), &b.host(r));
         Outputs outs;
         for (const bool add : {false, true}) {  // dp overwritten and dr added to, then the other way round
           const std::string how = add ? " (dp added to)" : " (dr added to)";
           const int dp = b.add(d.n()), dr = b.add(d.n()), da = b.add(d.C);
           ml::pcn_blend_backward_cpu(b.cpu(dp), b.cpu(dr), b.cpu(da), b.cpu(dout), b.cpu(out), b.cpu(p), b.cpu(r),
                                      b.cpu(a), channels(d), add, !add);
           ml::pcn_blend_backward_cuda(b.gpu(dp), b.gpu(dr), b.gpu(da), b.gpu(dout), b.gpu(out), b.gpu(p), b.gpu(r),
                                       b.gpu(a), channels(d), add, !add);
           outs.push_back(b.out("dp" + how, dp));
           outs.push_back(b.out("dr" + how, dr));
           outs.push_back(b.out("da_raw" + how, da, da_tol));
         }
         return outs;
       },
       kExact},
      {"pcn_correct_forward", kPlanes,
       [](const Dims& d, Buffers& b) {
         const int r = b.add(d.n()), f = b.add(d.n()), rate = b.add(d.C, -0.2f, 1.5f), out = b.add(d.n());
         ml::pcn_correct_forward_cpu(b.cpu(out), b.cpu(r), b.cpu(f), b.cpu(rate), channels(d));
         ml::pcn_correct_forward_cuda(b.gpu(out), b.gpu(r), b.gpu(f), b.gpu(rate), channels(d));
         return Outputs{b.out("out", out)};
       },
       kExact},
      {"pcn_correct_backward", kPlanes,
       [](const Dims& d, Buffers& b) {
         const int dout = b.add(d.n()), out = b.add(d.n()), f = b.add(d.n()), rate = b.add(d.C, -0.2f, 1.5f);
         const Tol db_tol = rate_sum_tol(b.host(dout), b.host(f), nullptr);
         Outputs outs;
         for (const bool add : {false, true}) {
           const std::string how = add ? " (df added to)" : " (dr added to)";
           const int dr = b.add(d.n()), df = b.add(d.n()), db = b.add(d.C);
           ml::pcn_correct_backward_cpu(b.cpu(dr), b.cpu(df), b.cpu(db), b.cpu(dout), b.cpu(out), b.cpu(f),
                                        b.cpu(rate), channels(d), !add, add);
           ml::pcn_correct_backward_cuda(b.gpu(dr), b.gpu(df), b.gpu(db), b.gpu(dout), b.gpu(out), b.gpu(f),
                                         b.gpu(rate), channels(d), !add, add);
           outs.push_back(b.out("dr" + how, dr));
           outs.push_back(b.out("df" + how, df));
           outs.push_back(b.out("db_raw" + how, db, db_tol));
         }
         return outs;
       },
       kExact},
      // ---- perturb (Dims: M = N*C*H*W per copy, `extra` copies), plain and antithetic
      {"perturb_copies", kCopies,
       [](const Dims& d, Buffers& b) {
         const size_t n = d.n() * d.extra;
         const int x = b.add(n);
         Outputs outs;
         for (const bool antithetic : {false, true}) {
           const std::string how = antithetic ? " (antithetic)" : "";
           const int y = b.add(n), noise = b.add(n);
           ml::perturb_copies_cpu(b.cpu(y), b.cpu(noise), b.cpu(x), 0.3f, 77, d.n(), d.extra, antithetic);
           ml::perturb_copies_cuda(b.gpu(y), b.gpu(noise), b.gpu(x), 0.3f, 77, d.n(), d.extra, antithetic);
           outs.push_back(b.out("x + noise" + how, y));
           outs.push_back(b.out("noise" + how, noise));
         }
         return outs;
       },
       {1e-6, 1e-5}},
      // scale_rows (Dims: N rows of C*H*W): one product each
      {"scale_rows", kRows,
       [](const Dims& d, Buffers& b) {
         const int x = b.add(d.n()), coef = b.add(d.N), y = b.add(d.n());
         ml::scale_rows_cpu(b.cpu(y), b.cpu(x), b.cpu(coef), d.N, d.n() / d.N);
         ml::scale_rows_cuda(b.gpu(y), b.gpu(x), b.gpu(coef), d.N, d.n() / d.N);
         return Outputs{b.out("y", y)};
       },
       kExact},
  };
  return table;
}

std::string slurp(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

}  // namespace

TEST_CASE("every CUDA kernel entry point matches its CPU twin (the op table)", "[gpu][parity]") {
  uint32_t seed = 1;
  for (const OpRow& row : op_table()) {
    for (const Dims& d : row.shapes) {
      INFO(row.op << " at " << d.str());
      Buffers buffers(seed);
      seed += 1000;
      Outputs outputs;
      try {
        outputs = row.run(d, buffers);
      } catch (const std::exception& e) {
        FAIL_CHECK(row.op << " at " << d.str() << " threw: " << e.what());
        continue;
      }
      CHECK(!outputs.empty());
      for (const Output& out : outputs) {
        const Tol tol = out.tol.value_or(row.tol);
        require_close(out.cuda, out.cpu, tol.atol_at(d), tol.rtol, row.op + " " + out.name);
      }
    }
  }
}

// The table's coverage: one row per <op>_cuda declared in kernels/*/*.h that has an <op>_cpu
// there too (sgemm_cuda has none: gpu_test_linear.cpp checks it against a double loop).
TEST_CASE("the op table has a row for every CUDA entry point with a CPU twin", "[gpu][parity]") {
  const char* source = std::getenv("ML_SOURCE_DIR");
  if (!source) {
    WARN("ML_SOURCE_DIR is not set (ctest sets it): coverage not checked");
    return;
  }
  std::string headers;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(std::filesystem::path(source) / "kernels"))
    if (entry.path().extension() == ".h") headers += slurp(entry.path());
  const auto is_name_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  const auto has_function = [&](const std::string& name) {  // "name(" not preceded by a name character
    for (size_t at = headers.find(name + "("); at != std::string::npos; at = headers.find(name + "(", at + 1))
      if (at == 0 || !is_name_char(headers[at - 1])) return true;
    return false;
  };
  std::set<std::string> declared;
  for (size_t at = headers.find("_cuda("); at != std::string::npos; at = headers.find("_cuda(", at + 1)) {
    size_t begin = at;
    while (begin > 0 && is_name_char(headers[begin - 1])) --begin;
    const std::string op = headers.substr(begin, at - begin);
    if (!op.empty() && has_function(op + "_cpu")) declared.insert(op);
  }
  std::set<std::string> rows;
  for (const OpRow& row : op_table()) {
    INFO(row.op);
    CHECK(rows.insert(row.op).second);  // one row per entry point
    CHECK(declared.count(row.op) == 1);
  }
  for (const auto& op : declared) {
    INFO(op << "_cuda has a CPU twin but no row in op_table()");
    CHECK(rows.count(op) == 1);
  }
}
