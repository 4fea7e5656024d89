// The deep predictive coding network (PCN block + bptt): the unrolled forward
// against a double-precision PCN written out here from the equations, the
// unrolled backward (input and every param: FF, FB, a, b and the gap-fc head)
// against central differences of that double PCN for K = 0, 1, 2 cycles, K = 0
// against the plain feedforward network, the per-cycle readout, the spec and
// flag errors, and a short end-to-end run that writes cycles.csv and records.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "engine/layers/pcn_block.h"
#include "engine/network.h"
#include "rules/registry.h"
#include "training/recorder.h"
#include "training/trainer.h"
#include "rules/bp.h"
#include "rules/bptt.h"
#include "engine_test_util.h"
#include "synthetic_idx.h"
#include "training/ml_train_cli.h"

namespace fs = std::filesystem;
using ml::Network;
using ml::PcnBlock;
using ml_test::make_batch;
using ml_test::random_vector;
using ml_test::require_close;

namespace {

using Vec = std::vector<double>;

// ---- the double-precision PCN, straight from the equations ----------------

struct Dims {
  int N, C, H, W;
  size_t size() const { return static_cast<size_t>(N) * C * H * W; }
};

Dims conv_dims(const Dims& in, int K, int stride) {
  return {in.N, K, (in.H + 2 - 3) / stride + 1, (in.W + 2 - 3) / stride + 1};
}

// y = x (*) w, 3x3, pad 1; w [K, C, 3, 3].
Vec conv(const Vec& x, const Vec& w, const Dims& in, int K, int stride) {
  const Dims o = conv_dims(in, K, stride);
  Vec y(o.size(), 0.0);
  for (int n = 0; n < in.N; ++n)
    for (int k = 0; k < K; ++k)
      for (int p = 0; p < o.H; ++p)
        for (int q = 0; q < o.W; ++q) {
          double s = 0;
          for (int c = 0; c < in.C; ++c)
            for (int r = 0; r < 3; ++r)
              for (int t = 0; t < 3; ++t) {
                const int h = p * stride + r - 1, v = q * stride + t - 1;
                if (h < 0 || h >= in.H || v < 0 || v >= in.W) continue;
                s += w[((k * in.C + c) * 3 + r) * 3 + t] * x[((size_t(n) * in.C + c) * in.H + h) * in.W + v];
              }
          y[((size_t(n) * K + k) * o.H + p) * o.W + q] = s;
        }
  return y;
}

// The transposed conv: every output pixel of the conv above scatters back through w.
Vec conv_t(const Vec& y, const Vec& w, const Dims& in, int K, int stride) {
  const Dims o = conv_dims(in, K, stride);
  Vec x(in.size(), 0.0);
  for (int n = 0; n < in.N; ++n)
    for (int k = 0; k < K; ++k)
      for (int p = 0; p < o.H; ++p)
        for (int q = 0; q < o.W; ++q)
          for (int c = 0; c < in.C; ++c)
            for (int r = 0; r < 3; ++r)
              for (int t = 0; t < 3; ++t) {
                const int h = p * stride + r - 1, v = q * stride + t - 1;
                if (h < 0 || h >= in.H || v < 0 || v >= in.W) continue;
                x[((size_t(n) * in.C + c) * in.H + h) * in.W + v] +=
                    w[((k * in.C + c) * 3 + r) * 3 + t] * y[((size_t(n) * K + k) * o.H + p) * o.W + q];
              }
  return x;
}

double relu(double v) { return v > 0 ? v : 0; }
double rate(double raw) { return raw > 0 ? raw : 0; }

struct DoublePcn {
  std::vector<ml::PcnStage> stages;
  int cycles;
  std::vector<Vec> ff, fb, a, b;  // a has one entry fewer: the top level has no rate a
  Vec fc_w, fc_b;                 // the head: gap, then fc [classes, C_L]

  // r_L after `cycles` cycles, and its dims.
  Vec top(const Vec& x, const Dims& in, Dims* out_dims = nullptr) const {
    const int L = static_cast<int>(stages.size());
    std::vector<Dims> d = {in};
    for (const auto& st : stages) d.push_back(conv_dims(d.back(), st.channels, st.stride));
    auto conv_l = [&](const Vec& v, int l) { return conv(v, ff[l - 1], d[l - 1], stages[l - 1].channels, stages[l - 1].stride); };
    auto pred_l = [&](const Vec& v, int l) { return conv_t(v, fb[l - 1], d[l - 1], stages[l - 1].channels, stages[l - 1].stride); };
    auto channel = [&](int l, size_t i) { return static_cast<int>((i / (size_t(d[l].H) * d[l].W)) % d[l].C); };
    std::vector<Vec> r(L + 1), p(L);
    r[0] = x;
    for (int l = 1; l <= L; ++l) {
      r[l] = conv_l(r[l - 1], l);
      for (double& v : r[l]) v = relu(v);
    }
    for (int t = 0; t < cycles; ++t) {
      for (int l = L; l >= 2; --l) {  // top-down
        p[l - 1] = pred_l(r[l], l);
        for (size_t i = 0; i < r[l - 1].size(); ++i) {
          const double al = rate(a[l - 2][channel(l - 1, i)]);
          r[l - 1][i] = relu(al * p[l - 1][i] + (1 - al) * r[l - 1][i]);
        }
      }
      p[0] = pred_l(r[1], 1);
      for (int l = 1; l <= L; ++l) {  // bottom-up
        Vec e(r[l - 1].size());
        for (size_t i = 0; i < e.size(); ++i) e[i] = r[l - 1][i] - p[l - 1][i];
        const Vec f = conv_l(e, l);
        for (size_t i = 0; i < r[l].size(); ++i) r[l][i] = relu(r[l][i] + rate(b[l - 1][channel(l, i)]) * f[i]);
      }
    }
    if (out_dims) *out_dims = d[L];
    return r[L];
  }

  // Mean log-softmax NLL of gap-fc on the top representation.
  double loss(const Vec& x, const Dims& in, const std::vector<int32_t>& labels) const {
    Dims t;
    const Vec r = top(x, in, &t);
    const int classes = static_cast<int>(fc_b.size()), HW = t.H * t.W;
    double total = 0;
    for (int n = 0; n < t.N; ++n) {
      Vec g(t.C), z(classes);
      for (int c = 0; c < t.C; ++c) {
        for (int i = 0; i < HW; ++i) g[c] += r[(size_t(n) * t.C + c) * HW + i];
        g[c] /= HW;
      }
      double zmax = -1e300;
      for (int k = 0; k < classes; ++k) {
        z[k] = fc_b[k];
        for (int c = 0; c < t.C; ++c) z[k] += fc_w[k * t.C + c] * g[c];
        zmax = std::max(zmax, z[k]);
      }
      double se = 0;
      for (double v : z) se += std::exp(v - zmax);
      total += -(z[labels[n]] - zmax - std::log(se));
    }
    return total / t.N;
  }
};

Vec to_double(const ml::Tensor& t) {
  const auto v = t.to_vector();
  return {v.begin(), v.end()};
}

// The double PCN with the float net's current values; params() order: ff, fb, a, b, then fc weight and bias.
DoublePcn mirror(Network& net, const std::vector<ml::PcnStage>& stages, int cycles) {
  DoublePcn d{stages, cycles, {}, {}, {}, {}, {}, {}};
  auto& block = dynamic_cast<PcnBlock&>(net.layer(0));
  for (ml::Param* p : block.params()) {
    const std::string& n = p->name;
    auto& group = n.find(".ff") != std::string::npos ? d.ff : n.find(".fb") != std::string::npos ? d.fb
                : n.find(".a") != std::string::npos ? d.a : d.b;
    group.push_back(to_double(p->value));
  }
  d.fc_w = to_double(net.layer(net.size() - 1).weight()->value);
  d.fc_b = to_double(net.layer(net.size() - 1).bias()->value);
  return d;
}

// Every double the float param p maps to in d (same order as p's values).
Vec* slot_of(DoublePcn& d, const std::string& name) {
  auto index = [&](const std::string& key) {
    const size_t at = name.find(key) + key.size();
    return static_cast<size_t>(std::stoi(name.substr(at))) - 1;
  };
  if (name.find(".ff") != std::string::npos) return &d.ff[index(".ff")];
  if (name.find(".fb") != std::string::npos) return &d.fb[index(".fb")];
  if (name.find(".a") != std::string::npos) return &d.a[index(".a")];
  if (name.find(".b") != std::string::npos && name.rfind("pcn", 0) == 0) return &d.b[index(".b")];
  if (name.find("weight") != std::string::npos) return &d.fc_w;
  return &d.fc_b;
}

// Central differences of f with respect to v[i]; nullopt-like NaN when the
// one-sided slopes disagree (a ReLU switched within eps: a kink, says nothing).
double central(Vec& v, size_t i, const std::function<double()>& f, double eps) {
  const double keep = v[i], here = f();
  v[i] = keep + eps;
  const double up = f();
  v[i] = keep - eps;
  const double down = f();
  v[i] = keep;
  const double right = (up - here) / eps, left = (here - down) / eps, fine = (up - down) / (2 * eps);
  if (std::fabs(right - left) > 1e-5 + 1e-3 * std::fabs(fine)) return NAN;
  return fine;
}

struct Tally {
  int checked = 0, kinks = 0, bad = 0;
  std::string first_bad;
};

// got vs central differences: |got - fd| <= 2e-4 + 2e-3 |fd| (float BPTT against
// a double oracle: float rounding over a few hundred products is ~1e-6 relative).
void compare(Tally& t, const std::string& what, size_t i, double got, double fd) {
  ++t.checked;
  if (std::isnan(fd)) {
    ++t.kinks;
    return;
  }
  if (std::fabs(got - fd) > 2e-4 + 2e-3 * std::fabs(fd)) {
    if (!t.bad++) t.first_bad = what + "[" + std::to_string(i) + "] got " + std::to_string(got) + " want " + std::to_string(fd);
  }
}

void report(const Tally& t) {
  INFO(t.checked << " checked, " << t.kinks << " at kinks, " << t.bad << " bad; first: " << t.first_bad);
  CHECK(t.bad == 0);
  CHECK(t.kinks * 20 < t.checked);  // kinks are rare: the check saw real gradients
  CHECK(t.checked > 100);
}

// Rates away from their defaults (and one negative a, one negative b: rate 0, no gradient).
void vary_rates(Network& net, uint32_t seed) {
  for (ml::Param* p : net.layer(0).params()) {
    const bool is_a = p->name.find(".a") != std::string::npos, is_b = p->name.find(".b") != std::string::npos;
    if (!is_a && !is_b) continue;
    auto v = random_vector(p->value.numel(), seed++, is_a ? 0.2f : 0.5f, is_a ? 0.8f : 1.5f);
    if (p->name == "pcn1.a1" || p->name == "pcn1.b2") v[0] = -0.25f;
    p->value = ml::Tensor::from_vector(p->value.shape(), v);
  }
}

const std::vector<ml::PcnStage> kStages = {{3, 1}, {4, 2}, {3, 1}};
const std::string kLevels = "pcn3,4s2,3";
const ml::Shape kInput = {2, 6, 6};

}  // namespace

TEST_CASE("the unrolled forward matches the double PCN, and BPTT matches its central differences", "[pcn][grad]") {
  for (int K : {0, 1, 2}) {
    INFO("cycles K = " << K);
    Network net(kLevels + "c" + std::to_string(K) + "-gap-fc5", kInput, 3);
    vary_rates(net, 40);
    auto& block = dynamic_cast<PcnBlock&>(net.layer(0));
    REQUIRE(block.cycles() == K);
    ml::Batch batch = make_batch(kInput, 3, 21, 5);
    const Dims in{3, kInput[0], kInput[1], kInput[2]};
    DoublePcn d = mirror(net, kStages, K);
    Vec x = to_double(batch.x);

    // forward: the block against the equations
    const ml::Tensor& top = block.forward(batch.x);
    Dims td;
    const Vec want = d.top(x, in, &td);
    require_close(top.to_vector(), std::vector<float>(want.begin(), want.end()), 1e-5, 1e-5, "top representation");

    // the block alone: input gradient and block params for loss = sum(R * top)
    const std::vector<float> R = random_vector(top.numel(), 77);
    const ml::Tensor dy = ml::Tensor::from_vector(top.shape(), R);
    const std::vector<float> dx = block.backward_input(dy).to_vector();
    auto block_loss = [&]() {
      const Vec t = d.top(x, in);
      double s = 0;
      for (size_t i = 0; i < t.size(); ++i) s += R[i] * t[i];
      return s;
    };
    Tally input_tally;
    for (size_t i = 0; i < x.size(); ++i) compare(input_tally, "input", i, dx[i], central(x, i, block_loss, 1e-6));
    report(input_tally);
    Tally block_tally;
    for (ml::Param* p : block.params()) {
      const auto g = p->grad.to_vector();
      Vec* v = slot_of(d, p->name);
      for (size_t i = 0; i < g.size(); ++i) compare(block_tally, p->name, i, g[i], central(*v, i, block_loss, 1e-6));
    }
    report(block_tally);

    // the whole network under bptt: every param, the head's included, for the mean NLL
    ml::BackpropThroughTime bptt;
    bptt.attach(net, 1);
    bptt.compute_gradients(net, batch);
    auto net_loss = [&]() { return d.loss(x, in, batch.host_labels); };
    Tally net_tally;
    std::map<std::string, int> seen;
    for (ml::Param* p : net.params()) {
      const auto g = p->grad.to_vector();
      Vec* v = slot_of(d, p->name);
      REQUIRE(v->size() == g.size());
      seen[p->name.substr(0, p->name.find_first_of("0123456789", 5))]++;
      for (size_t i = 0; i < g.size(); ++i) compare(net_tally, p->name, i, g[i], central(*v, i, net_loss, 1e-6));
    }
    report(net_tally);
    // FF, FB, a, b of the block and the fc weight and bias were all checked
    CHECK(seen.size() >= 5);
    if (K == 0) {  // FB and the rates are unused without cycles: their gradient is exactly 0
      for (ml::Param* p : block.params()) {
        if (p->name.find(".ff") != std::string::npos) continue;
        const auto g = p->grad.to_vector();
        CHECK(std::all_of(g.begin(), g.end(), [](float v) { return v == 0.0f; }));
      }
    }
  }
}

TEST_CASE("with 0 cycles the PCN is the plain feedforward network", "[pcn]") {
  const ml::Shape in = {2, 7, 7};
  Network pcn("pcn3,4s2c0-gap-fc5", in, 5);
  Network plain("conv3k3p1-relu-conv4k3s2p1-relu-gap-fc5", in, 9);
  auto& block = dynamic_cast<PcnBlock&>(pcn.layer(0));
  // plain's conv1, conv2 take the FF weights (bias 0); fc the same head
  std::vector<ml::Param*> ff;
  for (ml::Param* p : block.params()) {
    if (p->name.find(".ff") != std::string::npos) ff.push_back(p);
  }
  REQUIRE(ff.size() == 2);
  plain.layer(0).weight()->value.copy_from(ff[0]->value);
  plain.layer(0).bias()->value.zero();
  plain.layer(2).weight()->value.copy_from(ff[1]->value);
  plain.layer(2).bias()->value.zero();
  plain.layer(5).weight()->value.copy_from(pcn.layer(2).weight()->value);
  plain.layer(5).bias()->value.copy_from(pcn.layer(2).bias()->value);

  ml::Batch batch = make_batch(in, 4, 3, 5);
  ml::Backprop bp_pcn, bp_plain;
  const ml::LossResult a = bp_pcn.compute_gradients(pcn, batch), b = bp_plain.compute_gradients(plain, batch);
  CHECK(a.loss_sum == Approx(b.loss_sum).epsilon(1e-6));
  require_close(pcn.layer(2).output().to_vector(), plain.layer(5).output().to_vector(), 1e-6, 1e-6, "logits");
  require_close(ff[0]->grad.to_vector(), plain.layer(0).weight()->grad.to_vector(), 1e-7, 1e-6, "FF1 grad = conv1 grad");
  require_close(ff[1]->grad.to_vector(), plain.layer(2).weight()->grad.to_vector(), 1e-7, 1e-6, "FF2 grad = conv2 grad");
  require_close(pcn.layer(2).weight()->grad.to_vector(), plain.layer(5).weight()->grad.to_vector(), 1e-7, 1e-6, "fc grad");
}

TEST_CASE("per-cycle readout: cycle t of a K-cycle run is the output of the same net run for t cycles", "[pcn]") {
  const ml::Shape in = {1, 8, 8};
  Network net("pcn4,6s2c3-gap-fc10", in, 2);
  vary_rates(net, 3);
  ml::BackpropThroughTime bptt;
  bptt.attach(net, 1);
  ml::Batch batch = make_batch(in, 50, 8, 10);
  const ml::LossResult last = bptt.evaluate(net, batch);
  const auto tables = bptt.epoch_tables(1);
  REQUIRE(tables.size() == 1);
  CHECK(tables[0].first == "cycles.csv");
  std::istringstream csv(tables[0].second);
  std::string line;
  std::getline(csv, line);
  CHECK(line == "epoch,cycle,test_loss,test_acc");
  std::vector<double> loss_at;
  while (std::getline(csv, line)) {
    int epoch, cycle;
    double loss, acc;
    REQUIRE(std::sscanf(line.c_str(), "%d,%d,%lf,%lf", &epoch, &cycle, &loss, &acc) == 4);
    CHECK(epoch == 1);
    CHECK(cycle == static_cast<int>(loss_at.size()));
    loss_at.push_back(loss);
  }
  REQUIRE(loss_at.size() == 4);
  CHECK(loss_at[3] == Approx(last.loss_sum / last.count).epsilon(1e-6));
  // the evaluation reused buffers, yet a training forward gives the same loss
  ml::LogSoftmaxNLL nll;
  CHECK(nll.forward(net.forward(batch.x), batch.labels, batch.host_labels).loss_sum == Approx(last.loss_sum).epsilon(1e-6));
  for (int t = 0; t < 3; ++t) {
    INFO("cycle " << t);
    Network shorter("pcn4,6s2c" + std::to_string(t) + "-gap-fc10", in, 99);
    auto src = net.params(), dst = shorter.params();
    REQUIRE(src.size() == dst.size());
    for (size_t i = 0; i < src.size(); ++i) dst[i]->value.copy_from(src[i]->value);
    const ml::LossResult r = nll.forward(shorter.forward(batch.x), batch.labels, batch.host_labels);
    CHECK(loss_at[t] == Approx(r.loss_sum / r.count).epsilon(1e-5));
  }
}

TEST_CASE("pcn specs, sizes and errors", "[pcn][errors]") {
  Network net("pcn3,4s2c2-gap-fc10", {1, 12, 12}, 1);
  CHECK(net.layer(0).token() == "pcn3,4s2c2");
  CHECK(net.layer(0).name() == "pcn1");
  CHECK(net.layer(1).name() == "gap1");
  // every param named once, so checkpoints round-trip
  std::map<std::string, int> names;
  for (ml::Param* p : net.params()) names[p->name]++;
  CHECK(names.size() == net.params().size());
  CHECK(names.count("pcn1.ff1.weight") == 1);
  CHECK(names.count("pcn1.fb2.weight") == 1);
  CHECK(names.count("pcn1.a1") == 1);
  CHECK(names.count("pcn1.b2") == 1);
  CHECK(names.count("fc1.weight") == 1);

  for (const ml::Shape& in : {ml::Shape{1, 28, 28}, ml::Shape{3, 32, 32}}) {
    Network small(ml::pcn_arch("small", 6), in, 1);
    CHECK(small.output_shape() == ml::Shape{10});
  }
  CHECK(ml::resolve_arch("pcn") == ml::pcn_arch("small", ml::kPcnDefaultCycles));
  Network paper(ml::pcn_arch("paper", 6), {3, 32, 32}, 1);  // Wen et al.'s 8 levels: 64, 64, 128, ..., 512
  CHECK(paper.layer(0).token() == "pcn64,64,128s2,128,256s2,256,512,512c6");
  CHECK(paper.output_shape() == ml::Shape{10});
  // The widths of the authors' released PredNet (prednet.py): in channels 3, 64, 64, 128, 128, 256, 256, 256, out
  // 64, 64, 128, 128, 256, 256, 256, 256, 3x3 FF and FB convs without bias, a per channel of every level's input but
  // the image's, b per channel of every output, then Linear(256, 10). Its parameter count from that description:
  const std::vector<long> ins = {3, 64, 64, 128, 128, 256, 256, 256}, outs = {64, 64, 128, 128, 256, 256, 256, 256};
  long authors = 256 * 10 + 10;
  for (size_t l = 0; l < ins.size(); ++l) authors += 2 * ins[l] * outs[l] * 9 + outs[l] + (l > 0 ? ins[l] : 0);
  CHECK(authors == 4653450);
  Network wen("pcn-wen", {3, 32, 32}, 1);
  CHECK(wen.spec() == ml::pcn_arch("wen", ml::kPcnDefaultCycles));
  long ours = 0;
  for (ml::Param* p : wen.params()) ours += static_cast<long>(p->value.numel());
  CHECK(ours == authors);
  // Their two 2x2 max-poolings take 32x32 to 8x8 before the global average: here the two stride-2 levels.
  CHECK(wen.layer(0).output_shape({3, 32, 32}) == ml::Shape{256, 8, 8});
  CHECK(wen.output_shape() == ml::Shape{10});

  auto message = [](const std::string& spec) {
    return ml_test::error_of<std::invalid_argument>([&] { Network n(spec, {1, 12, 12}, 1); });
  };
  CHECK_THAT(message("pcn3,4-gap-fc10"), Catch::Contains("'pcn3,4'"));
  CHECK_THAT(message("pcn3,4s3c1-gap-fc10"), Catch::Contains("stride 3"));
  CHECK_THAT(message("pcn0c1-gap-fc10"), Catch::Contains("channels 0"));
  CHECK_THAT(message("pcn3c1-fc10"), Catch::Contains("flatten"));
  CHECK_THAT(message("flatten-pcn3c1-gap-fc10"), Catch::Contains("[C, H, W]"));
  CHECK_THAT(ml_test::error_of<std::invalid_argument>([] { ml::pcn_arch("tiny", 2); }), Catch::Contains("--pcn-size 'tiny'"));
  CHECK_THAT(ml_test::error_of<std::invalid_argument>([] { ml::pcn_arch("small", -1); }), Catch::Contains("--cycles -1"));

  Network lenet("lenet", {1, 28, 28}, 1);
  auto rule = ml::make_rule("bptt");
  CHECK_THAT(ml_test::error_of<std::invalid_argument>([&] { rule->attach(lenet, 1); }), Catch::Contains("no PCN block"));
  // a feedback weight cannot carry the error through the unrolled cycles
  Network two("conv1k1-pcn3c1-gap-fc10", {1, 12, 12}, 1);
  ml::Tensor fake(two.layer(1).weight()->value.shape());
  two.forward(make_batch({1, 12, 12}, 2, 1, 10).x);
  CHECK_THAT(ml_test::error_of<std::invalid_argument>([&] { two.layer(1).backward_input(two.layer(1).output(), &fake); }),
             Catch::Contains("--rule bptt"));
}

TEST_CASE("ml-train --arch pcn-wen is the wen size, and refuses --pcn-size; --pcn-size needs a PCN", "[pcn][errors]") {
  ml_test::TempDir dir("pcn-wen-flags");
  const std::string data = ml_test::write_synthetic_idx(dir.file("data"), 20, 10);
  const std::string common = "--data mnist --data-dir " + data + " --epochs 1 --device cpu --no-progress --out ";
  struct Case {
    const char* flags;
    const char* says;
  };
  for (const Case c : {Case{"--arch pcn-wen --pcn-size paper", "--pcn-size: not with --arch pcn-wen"},
                       Case{"--arch lenet --pcn-size wen", "--pcn-size: only for --arch pcn"},
                       Case{"--arch pcn --pcn-size wide", "--pcn-size 'wide': unknown (known: small, paper, wen)"}}) {
    INFO(c.flags);
    const std::filesystem::path out = dir.path / "out";
    const auto [code, err] = ml_test::run_ml_train(common + out.string() + " " + c.flags, dir.file("err"));
    INFO(err);
    CHECK(code == 1);
    CHECK_THAT(err, Catch::Contains("ml-train: error: " + std::string(c.says)));
    CHECK(std::count(err.begin(), err.end(), '\n') == 1);
    CHECK_FALSE(std::filesystem::exists(out));
  }
}

TEST_CASE("bptt trains a PCN end to end, writes cycles.csv, and the network records", "[pcn][train]") {
  ml_test::TempDir dir("pcn-train");
  ml::TrainConfig c;
  c.data = "mnist";
  c.data_dir = ml_test::write_synthetic_idx((dir.path / "data").string(), 200, 100, 12);
  c.arch = "pcn4,8s2c2-gap-fc10";
  c.rule = "bptt";
  c.epochs = 2;
  c.batch = 20;
  c.device = "cpu";
  c.progress = false;
  c.out = (dir.path / "run").string();
  const auto history = ml::train(c);
  REQUIRE(history.size() == 2);

  std::ifstream f(c.out + "/cycles.csv");
  std::string line;
  std::getline(f, line);
  CHECK(line == "epoch,cycle,test_loss,test_acc");
  int rows = 0;
  double acc_last = -1;
  while (std::getline(f, line)) {
    ++rows;
    int epoch, cycle;
    double loss, acc;
    REQUIRE(std::sscanf(line.c_str(), "%d,%d,%lf,%lf", &epoch, &cycle, &loss, &acc) == 4);
    CHECK(std::isfinite(loss));
    if (epoch == 2 && cycle == 2) acc_last = acc;
  }
  CHECK(rows == 6);  // 2 epochs x cycles 0..2
  CHECK(acc_last == Approx(history.back().test_acc).epsilon(1e-9));  // the last cycle is the network's output

  ml::RecordConfig r;
  r.checkpoint = c.out + "/model.safetensors";
  r.data_dir = c.data_dir;
  r.probe = 20;
  r.device = "cpu";
  r.out = (dir.path / "acts").string();
  ml::record(r);
  for (const char* layer : {"input", "pcn1", "gap1", "fc1"}) {
    INFO(layer);
    CHECK(fs::exists(dir.path / "acts" / (std::string(layer) + ".npy")));
  }
}
