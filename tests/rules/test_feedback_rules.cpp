// The feedback-weight rules: identities with backprop (FA with B = W, sign
// symmetry with sign(W) replaced by W), Kolen-Pollack's and weight mirror's
// alignment of B with W (and weight mirror's per-layer flags), DFA's delta
// against a hand computation, and every rule learning a small synthetic problem.
#include <cmath>
#include <filesystem>

#include "engine/tensor_ops.h"
#include "training/trainer.h"
#include "rules/dfa.h"
#include "rules/feedback_rule.h"
#include "rules/sign_symmetry.h"
#include "engine_test_util.h"
#include "training/ml_train_cli.h"
#include "synthetic_idx.h"
#include "synthetic_train.h"
#include "test_util.h"

using namespace ml;
using ml_test::make_batch;
using ml_test::param_values;

namespace {

const char* kSpec = "conv4k3p1-relu-conv6k3s2-relu-maxpool2-flatten-fc12-relu-fc5";
const Shape kInput = {2, 11, 11};

// Sign symmetry whose feedback is W itself: must be backprop.
class SignSymmetryWithW : public SignSymmetry {
 public:
  SignSymmetryWithW() : SignSymmetry("uniform") {}
 protected:
  void make_feedback(const Tensor& w, size_t, Tensor& b) override { b.copy_from(w); }
};

double feedback_angle(LearningRule& rule, Network& net, size_t i) {
  return angle_degrees(rule.feedback_weight(i, net.layer(i))->to_vector(), net.layer(i).weight()->value.to_vector());
}

}  // namespace

TEST_CASE("fa with B = W gives exactly the backprop update", "[rules][fa]") {
  Network a(kSpec, kInput, 3), b(kSpec, kInput, 3);
  auto bp = make_rule("bp");
  auto fa = make_rule("fa");
  bp->attach(a, 1);
  fa->attach(b, 1);
  auto& fb = dynamic_cast<FeedbackRule&>(*fa);
  for (size_t i = 0; i < b.size(); ++i) {
    if (b.layer(i).weight()) fb.set_feedback(i, b.layer(i).weight()->value);
  }
  const Batch batch = make_batch(kInput, 6, 9, 5);
  auto opt_a = ml_test::sgd(), opt_b = ml_test::sgd();
  bp->train_step(a, batch, *opt_a);
  fa->train_step(b, batch, *opt_b);
  CHECK(param_values(a) == param_values(b));  // bit for bit
  SECTION("and a random B does not") {
    Network c(kSpec, kInput, 3);
    auto fa_random = make_rule("fa");
    fa_random->attach(c, 1);
    auto opt_c = ml_test::sgd();
    fa_random->train_step(c, batch, *opt_c);
    CHECK(param_values(a) != param_values(c));
  }
}

TEST_CASE("sign symmetry with sign(W) replaced by W gives backprop", "[rules][sign-symmetry]") {
  Network a(kSpec, kInput, 4), b(kSpec, kInput, 4);
  auto bp = make_rule("bp");
  SignSymmetryWithW ss;
  ss.attach(b, 1);
  auto opt_a = ml_test::sgd(), opt_b = ml_test::sgd();
  for (int step = 0; step < 3; ++step) {  // B follows W batch after batch
    const Batch batch = make_batch(kInput, 6, 20 + step, 5);
    bp->train_step(a, batch, *opt_a);
    ss.train_step(b, batch, *opt_b);
  }
  CHECK(param_values(a) == param_values(b));
}

TEST_CASE("sign symmetry sends the error through sign(W) with the uSF scale", "[rules][sign-symmetry]") {
  Network net(kSpec, kInput, 5);
  auto ss = make_rule("sign-symmetry");
  ss->attach(net, 1);
  ss->compute_gradients(net, make_batch(kInput, 4, 3, 5));
  const size_t fc1 = 6;
  const auto w = net.layer(fc1).weight()->value.to_vector();
  const auto bvec = ss->feedback_weight(fc1, net.layer(fc1))->to_vector();
  const float scale = std::sqrt(2.0f / (net.layer(fc1).weight()->value.dim(1) + net.layer(fc1).weight()->value.dim(0)));
  for (size_t k = 0; k < w.size(); ++k) CHECK(bvec[k] == (w[k] > 0 ? scale : (w[k] < 0 ? -scale : 0.0f)));
}

TEST_CASE("sign symmetry brSF: |M| sign(W) with M redrawn every batch", "[rules][sign-symmetry]") {
  const FlagValues o{{"feedback-magnitude", "batchwise"}};
  Network net(kSpec, kInput, 5);
  auto ss = make_rule("sign-symmetry", o);
  ss->attach(net, 1);
  const size_t fc1 = 6;
  const float bound = 1.0f / std::sqrt(static_cast<float>(net.layer(fc1).weight()->value.dim(1)));
  std::vector<float> previous;
  for (int step = 0; step < 2; ++step) {
    ss->compute_gradients(net, make_batch(kInput, 4, 3 + step, 5));
    const auto w = net.layer(fc1).weight()->value.to_vector();
    const auto b = ss->feedback_weight(fc1, net.layer(fc1))->to_vector();
    size_t sign_mismatches = 0, out_of_bound = 0;
    for (size_t k = 0; k < w.size(); ++k) {
      if ((w[k] > 0) != (b[k] > 0) || (w[k] < 0) != (b[k] < 0)) ++sign_mismatches;
      if (std::fabs(b[k]) > bound) ++out_of_bound;
    }
    CHECK(sign_mismatches == 0);
    CHECK(out_of_bound == 0);
    if (step == 1) CHECK(angle_degrees(b, previous) > 20.0);  // new magnitudes: |M| uniform gives ~41 degrees
    previous = b;
  }
  CHECK_THROWS_WITH(make_rule("sign-symmetry", {{"feedback-magnitude", "none"}}),
                    Catch::Matchers::Contains("--feedback-magnitude 'none'"));
}

TEST_CASE("kolen-pollack aligns B with W from a random start", "[rules][kolen-pollack]") {
  const FlagValues o{{"kp-decay", "0.01"}};
  Network net(kSpec, kInput, 6);
  auto kp = make_rule("kolen-pollack", o);
  kp->attach(net, 2);
  const size_t fc1 = 6;
  CHECK(feedback_angle(*kp, net, fc1) > 80.0);  // independent random draws start near 90
  auto opt = ml_test::sgd(0.05f, 0.9f);
  // A learnable task (4 fixed batches), so the shared updates build up while
  // the decay removes B's and W's random starts (lr * decay = 5e-4 per step,
  // ~10x that with momentum: ~e^-2.5 left after 500 steps).
  for (int step = 0; step < 500; ++step) kp->train_step(net, make_batch(kInput, 32, 100 + step % 4, 5), *opt);
  for (size_t i = 0; i < net.size(); ++i) {
    if (!net.layer(i).weight()) continue;
    INFO(net.layer(i).name());
    CHECK(feedback_angle(*kp, net, i) < 10.0);
  }
}

TEST_CASE("kolen-pollack: B - W shrinks by one factor per step, also with --clip-grad-norm", "[rules][kolen-pollack]") {
  const float lr = 0.05f, decay = 0.1f;
  const float clip = GENERATE(0.0f, 0.05f);  // 0.05: far below the gradients' norm, so every step is clipped
  INFO("clip-grad-norm " << clip);
  Network net(kSpec, kInput, 6);
  auto kp = make_rule("kolen-pollack", {{"kp-decay", "0.1"}});
  kp->attach(net, 2);
  OptimizerConfig c;
  c.lr = lr;
  c.momentum = 0.0f;  // the factor is exact for plain SGD
  c.clip_grad_norm = clip;
  auto opt = make_optimizer(c);
  auto differences = [&] {  // B - W of every feedback layer, in double
    std::vector<double> d;
    for (size_t i = 0; i < net.size(); ++i) {
      if (!net.layer(i).weight()) continue;
      const auto w = net.layer(i).weight()->value.to_vector();
      const auto b = kp->feedback_weight(i, net.layer(i))->to_vector();
      for (size_t k = 0; k < w.size(); ++k) d.push_back(static_cast<double>(b[k]) - w[k]);
    }
    return d;
  };
  for (int step = 0; step < 3; ++step) {
    const auto before = differences();
    kp->train_step(net, make_batch(kInput, 16, 40 + step, 5), *opt);
    const auto after = differences();
    // The clip scale from the norm the optimizer measured (before clipping); 1 without clipping.
    const double s = clip > 0 ? std::min(1.0, clip / (opt->last_grad_norm() + 1e-6)) : 1.0;
    if (clip > 0) CHECK(s < 0.5);  // clipping really acted
    const double factor = 1.0 - lr * s * decay;
    double worst = 0, scale = 0;
    for (size_t k = 0; k < before.size(); ++k) {
      worst = std::max(worst, std::fabs(after[k] - factor * before[k]));
      scale = std::max(scale, std::fabs(before[k]));
    }
    INFO("step " << step << ": factor " << factor << ", largest |B - W| " << scale);
    CHECK(worst < 1e-6 * scale + 1e-7);
  }
}

TEST_CASE("weight mirror aligns B with W from noise alone", "[rules][weight-mirror]") {
  FlagValues o{{"mirror-lr", "0.005"}, {"mirror-decay", "0.005"}, {"mirror-samples", "64"}, {"mirror-steps", "0"}};
  Network net("flatten-fc16-relu-fc5", {1, 6, 6}, 7);
  auto wm = make_rule("weight-mirror", o);
  wm->attach(net, 3);
  CHECK(feedback_angle(*wm, net, 1) > 70.0);
  o.set("mirror-steps", "1500");  // 1 - e^-7.5 of the way; the probe noise is averaged over ~200 steps of 64
  auto wm2 = make_rule("weight-mirror", o);
  wm2->attach(net, 3);
  CHECK(feedback_angle(*wm2, net, 1) < 20.0);
  CHECK(feedback_angle(*wm2, net, 3) < 20.0);
}

TEST_CASE("weight mirror: rates and probe counts per feedback layer", "[rules][weight-mirror][flags]") {
  // fc1 (16 units) mirrors at 0.005; fc2's B moves by 1e-6 of the way a step, so it stays where it started
  FlagValues o{{"mirror-lr", "0.005,1e-6"}, {"mirror-decay", "0.005,1e-6"}, {"mirror-samples", "64,64"},
               {"mirror-steps", "0"}};
  Network net("flatten-fc16-relu-fc5", {1, 6, 6}, 7);
  auto start = make_rule("weight-mirror", o);
  start->attach(net, 3);
  const auto fc2_start = start->feedback_weight(3, net.layer(3))->to_vector();
  o.set("mirror-steps", "1500");
  auto wm = make_rule("weight-mirror", o);
  wm->attach(net, 3);
  CHECK(feedback_angle(*wm, net, 1) < 20.0);
  CHECK(feedback_angle(*wm, net, 3) > 70.0);
  CHECK(angle_degrees(wm->feedback_weight(3, net.layer(3))->to_vector(), fc2_start) < 1.0);
  // config.json: one value stays a number (earlier runs resume), a list is a list
  CHECK(wm->config()["mirror_samples"] == nlohmann::json::array({64, 64}));
  CHECK(make_rule("weight-mirror")->config()["mirror_samples"] == 32);

  o.set("mirror-decay", "0.1,0.2,0.3");
  auto three = make_rule("weight-mirror", o);
  const std::string e = ml_test::error_of<std::invalid_argument>([&] { three->attach(net, 3); });
  CHECK(e.find("--mirror-decay 0.1,0.2,0.3: 3 values for 2 feedback layers (fc1, fc2)") != std::string::npos);
  o.set("mirror-decay", "0.1,1");
  const std::string bad = ml_test::error_of<std::invalid_argument>([&] { make_rule("weight-mirror", o); });
  CHECK(bad.find("--mirror-decay 0.1,1: every value must be in (0, 1)") != std::string::npos);
  o.set("mirror-decay", "0.1");
  o.set("mirror-samples", "4,0");
  const std::string zero = ml_test::error_of<std::invalid_argument>([&] { make_rule("weight-mirror", o); });
  CHECK(zero.find("--mirror-samples 4,0: every value must be >= 1") != std::string::npos);
}

TEST_CASE("ml-train --mirror-decay, --mirror-lr, --mirror-samples: one value or one per layer", "[rules][flags][cli]") {
  ml_test::TempDir dir("mirror-flags");
  const std::string data = ml_test::write_synthetic_idx(dir.file("data"), 100, 50);
  const std::string base = "--rule weight-mirror --mirror-steps 2 --data mnist --data-dir " + data +
                           " --arch flatten-fc16-relu-fc10 --epochs 1 --batch 50 --device cpu --no-progress";
  {
    auto [code, err] = ml_test::run_ml_train(
        base + " --mirror-decay 0.05,0.001 --mirror-lr 0.05,0.002 --mirror-samples 8,256 --out " + dir.file("list"),
        dir.file("list.err"));
    INFO(err);
    REQUIRE(code == 0);
    const auto rule = nlohmann::json::parse(ml_test::slurp(dir.path / "list" / "config.json"))["rule_config"];
    REQUIRE(rule["mirror_decay"].size() == 2);
    CHECK(rule["mirror_decay"][0].get<double>() == Approx(0.05));
    CHECK(rule["mirror_lr"][1].get<double>() == Approx(0.002));
    CHECK(rule["mirror_samples"] == nlohmann::json::array({8, 256}));
  }
  auto [code, err] =
      ml_test::run_ml_train(base + " --mirror-samples 8,8,8 --out " + dir.file("bad"), dir.file("bad.err"));
  CHECK(code == 1);
  CHECK_THAT(err, Catch::Contains("--mirror-samples 8,8,8: 3 values for 2 feedback layers (fc1, fc2)"));
  CHECK_FALSE(std::filesystem::exists(dir.path / "bad"));
}

TEST_CASE("dfa: the hidden delta is e B times the ReLU derivative", "[rules][dfa]") {
  Network net("flatten-fc5-relu-fc3", {1, 2, 2}, 8);
  DirectFeedbackAlignment dfa;
  dfa.attach(net, 4);
  const Batch batch = make_batch({1, 2, 2}, 4, 5, 3);
  dfa.compute_gradients(net, batch);
  // by hand, in double: e = (softmax(z) - onehot) / N, delta = (e B) * (h > 0)
  // layers: flatten1, fc1, relu1, fc2
  const auto z = net.layer(3).output().to_vector();
  const auto h = net.layer(2).output().to_vector();
  const auto B = dfa.direct_feedback(1).to_vector();  // [3, 5]
  std::vector<float> expect(4 * 5);
  for (int n = 0; n < 4; ++n) {
    double m = -1e30, s = 0;
    for (int c = 0; c < 3; ++c) m = std::max(m, double(z[n * 3 + c]));
    for (int c = 0; c < 3; ++c) s += std::exp(z[n * 3 + c] - m);
    for (int j = 0; j < 5; ++j) {
      double acc = 0;
      for (int c = 0; c < 3; ++c) {
        const double e = (std::exp(z[n * 3 + c] - m) / s - (c == batch.host_labels[n] ? 1.0 : 0.0)) / 4.0;
        acc += e * B[c * 5 + j];
      }
      expect[n * 5 + j] = h[n * 5 + j] > 0 ? static_cast<float>(acc) : 0.0f;
    }
  }
  REQUIRE(dfa.delta_at(1) != nullptr);
  ml_test::require_close(dfa.delta_at(1)->to_vector(), expect, 1e-7, 1e-5, "dfa delta");
}

TEST_CASE("every rule learns a small synthetic problem", "[rules][train]") {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / ("ml_test_rules_" + std::to_string(::getpid()));
  fs::remove_all(root);
  TrainConfig c = ml_test::synthetic_train_config(root);
  for (const std::string rule : {"bp", "fa", "dfa", "sign-symmetry", "weight-mirror", "kolen-pollack"}) {
    c.rule = rule;
    c.rule_flags = rule == "weight-mirror" ? FlagValues{{"mirror-steps", "300"}} : FlagValues{};
    c.out = (root / rule).string();
    const auto history = train(c);
    INFO(rule << ": test accuracy " << history.back().test_acc);
    CHECK(history.back().test_acc > 0.85);  // chance 0.10; backprop reaches ~1.0 here
    CHECK(history.back().train_loss < history.front().train_loss);
    CHECK(fs::exists(root / rule / "alignment.csv"));
  }
  fs::remove_all(root);
}
