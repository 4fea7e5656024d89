// Weight and node perturbation: the mean update over many draws is bp's
// gradient (a statistical test with a fixed seed), the batched K-copy forward
// gives K separate forwards' losses, the variance falls as 1/K, the
// estimator statistics leave training unchanged, and ml-train runs both rules
// and writes estimator.csv.
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "training/trainer.h"
#include "training/estimator_stats.h"
#include "rules/node_perturbation.h"
#include "engine_test_util.h"
#include "synthetic_train.h"

using namespace ml;
using ml_test::make_batch;

namespace {

namespace fs = std::filesystem;

// The tiny network of the statistical tests: 6 inputs, 4 hidden ReLUs, 3 classes (43 parameters).
const char* kTiny = "flatten-fc4-relu-fc3";
const Shape kTinyIn = {1, 2, 3};

FlagValues perturbation_settings(int k, bool antithetic, const char* sigma = "0.01") {
  return {{"perturbation-sigma", sigma}, {"perturbations", std::to_string(k)}, {"antithetic", antithetic ? "true" : "false"}};
}

// Every param's grad, concatenated.
std::vector<double> all_grads(Network& net) {
  std::vector<double> out;
  for (Param* p : net.params()) {
    for (float v : p->grad.to_vector()) out.push_back(v);
  }
  return out;
}

std::vector<double> bp_gradient(Network& net, const Batch& batch) {
  LogSoftmaxNLL loss;
  std::vector<const Tensor*> deltas;
  backward_walk(net, batch, loss, [](size_t, Layer&) { return nullptr; }, deltas);
  return all_grads(net);
}

// Mean of `draws` updates against bp's gradient g. For an unbiased estimator
// E|mean - g|^2 = sum_i Var(u_i) / draws; we require |mean - g|^2 below 16
// times that (4 standard errors, with the sample variances), and the
// relative error below 0.1 so that the test has power: a wrong scale
// (factor 2) or a sign error gives a relative error of 1 or more.
void check_unbiased(const std::string& rule_name, const FlagValues& o, int draws, const char* spec = kTiny,
                    const Shape& in = kTinyIn) {
  Network net(spec, in, 5);
  const Batch batch = make_batch(in, 5, 17, 3);
  const std::vector<double> g = bp_gradient(net, batch);
  auto rule = make_rule(rule_name, o);
  rule->attach(net, 9);
  std::vector<double> mean(g.size(), 0.0), m2(g.size(), 0.0);
  for (int d = 1; d <= draws; ++d) {
    rule->compute_gradients(net, batch);
    const std::vector<double> u = all_grads(net);
    for (size_t i = 0; i < u.size(); ++i) {
      const double delta = u[i] - mean[i];
      mean[i] += delta / d;
      m2[i] += delta * (u[i] - mean[i]);
    }
  }
  double err2 = 0, se2 = 0, g2 = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    err2 += (mean[i] - g[i]) * (mean[i] - g[i]);
    se2 += m2[i] / (draws - 1.0) / draws;
    g2 += g[i] * g[i];
  }
  const bool antithetic = o.has("antithetic") && o.get_switch("antithetic");
  INFO(rule_name << " on " << spec << (antithetic ? " antithetic" : "") << ": |mean - g|^2 " << err2 << ", expected "
                 << se2 << ", relative error " << std::sqrt(err2 / g2));
  CHECK(err2 < 16 * se2);
  CHECK(std::sqrt(err2 / g2) < 0.1);
}

double variance_rel(const std::string& rule_name, int k, int draws, const std::string& layer) {
  Network net(kTiny, kTinyIn, 5);
  const Batch batch = make_batch(kTinyIn, 5, 17, 3);
  auto rule = make_rule(rule_name, perturbation_settings(k, false));
  rule->attach(net, 9);
  EstimatorLog log;
  log_estimator_stats(*rule, net, batch, draws, 1, log);
  for (const auto& r : log.rows()) {
    if (r.layer == layer && r.metric == "variance_rel") return r.value;
  }
  FAIL("no variance_rel row for " << layer);
  return 0;
}

std::string read_file(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("weight perturbation: the mean update over many draws is bp's gradient", "[rules][perturbation]") {
  check_unbiased("weight-perturbation", perturbation_settings(1, false), 20000);
  check_unbiased("weight-perturbation", perturbation_settings(1, true), 20000);
  check_unbiased("weight-perturbation", perturbation_settings(4, false), 10000, "conv2k2-relu-flatten-fc3", {1, 3, 3});
}

TEST_CASE("node perturbation: the mean update over many draws is bp's gradient", "[rules][perturbation]") {
  check_unbiased("node-perturbation", perturbation_settings(1, false), 20000);
  check_unbiased("node-perturbation", perturbation_settings(4, true), 5000);
  // a conv layer: the scaled noise is the output error of the weight-gradient op, summed over positions
  check_unbiased("node-perturbation", perturbation_settings(4, false), 10000, "conv2k2-relu-flatten-fc3", {1, 3, 3});
}

TEST_CASE("node perturbation: the batched K-copy forward gives the losses of K separate forwards",
          "[rules][perturbation]") {
  const char* spec = "conv3k3p1-relu-conv4k3s2-relu-maxpool2-flatten-fc6-relu-fc5";
  const Shape in = {2, 9, 9};
  for (const bool antithetic : {false, true}) {
    Network net(spec, in, 3);
    NodePerturbation rule(perturbation_options(perturbation_settings(3, antithetic, "0.1").with_defaults(perturbation_flags(), "node-perturbation")));
    rule.attach(net, 4);
    const Batch batch = make_batch(in, 4, 8, 5);
    const int N = 4, C = rule.copies();
    REQUIRE(C == (antithetic ? 7 : 4));
    rule.perturbed_forward(net, batch);
    const std::vector<double> batched = rule.losses();
    std::vector<std::vector<float>> noise(net.size());
    for (size_t i = 0; i < net.size(); ++i) {
      if (rule.perturbed(i)) noise[i] = rule.noise(i).to_vector();
    }
    for (int c = 0; c < C; ++c) {
      // The forward of copy c alone: each perturbed layer's output plus that copy's rows of the noise.
      Tensor h = batch.x.clone();
      for (size_t i = 0; i < net.size(); ++i) {
        std::vector<float> y = net.layer(i).forward(h).to_vector();
        Shape shape = net.layer(i).output().shape();
        if (rule.perturbed(i)) {
          const size_t M = y.size();
          for (size_t j = 0; j < M; ++j) y[j] += noise[i][c * M + j];
          if (c == 0) CHECK(std::all_of(noise[i].begin(), noise[i].begin() + M, [](float v) { return v == 0.0f; }));
          if (antithetic && c % 2 == 0 && c > 0) {
            for (size_t j = 0; j < M; j += 7) REQUIRE(noise[i][c * M + j] == -noise[i][(c - 1) * M + j]);
          }
        }
        h = Tensor::from_vector(shape, y);
      }
      const std::vector<float> logits = h.to_vector();
      for (int n = 0; n < N; ++n) {
        double mx = -1e300, sum = 0;
        for (int k = 0; k < 5; ++k) mx = std::max(mx, double(logits[n * 5 + k]));
        for (int k = 0; k < 5; ++k) sum += std::exp(logits[n * 5 + k] - mx);
        const double loss = mx + std::log(sum) - logits[n * 5 + batch.host_labels[n]];
        INFO("antithetic " << antithetic << " copy " << c << " sample " << n);
        CHECK(std::fabs(batched[c * N + n] - loss) <= 1e-5 + 1e-5 * std::fabs(loss));
      }
    }
  }
}

TEST_CASE("the variance of the update falls as 1/K", "[rules][perturbation]") {
  // 400 draws: the relative sampling error of each variance is ~sqrt(2/400) per
  // element and smaller summed over the layer; a factor of 2 either way is ample.
  for (const std::string rule : {"node-perturbation", "weight-perturbation"}) {
    for (const std::string layer : {"fc1", "fc2"}) {
      const double v1 = variance_rel(rule, 1, 400, layer), v16 = variance_rel(rule, 16, 400, layer);
      INFO(rule << " " << layer << ": variance_rel K=1 " << v1 << ", K=16 " << v16);
      CHECK(v1 / v16 > 8.0);
      CHECK(v1 / v16 < 32.0);
    }
  }
}

TEST_CASE("estimator statistics: bp is deterministic and exact, and no rule's training changes",
          "[rules][perturbation][estimator]") {
  const Batch batch = make_batch(kTinyIn, 6, 21, 3);
  {
    Network net(kTiny, kTinyIn, 5);
    auto bp = make_rule("bp");
    EstimatorLog log;
    log_estimator_stats(*bp, net, batch, 3, 1, log);
    REQUIRE(log.rows().size() == 8);
    for (const auto& r : log.rows()) {
      INFO(r.layer << " " << r.metric << " " << r.value);
      if (r.metric == "bias_angle_deg") CHECK(r.value < 0.01);
      if (r.metric == "variance_rel") CHECK(r.value == 0.0);
      if (r.metric == "snr") CHECK(std::isinf(r.value));
      if (r.metric == "noise_angle_deg") CHECK(r.value == 0.0);
    }
    CHECK(log.csv().find(",snr,inf\n") != std::string::npos);
  }
  FlagValues o = perturbation_settings(2, false);
  o.set("feedback-magnitude", "batchwise");
  for (const std::string name : {"node-perturbation", "weight-perturbation", "sign-symmetry"}) {
    Network a(kTiny, kTinyIn, 5), b(kTiny, kTinyIn, 5);
    auto ra = make_rule(name, flags_of_rule(name, o)), rb = make_rule(name, flags_of_rule(name, o));
    ra->attach(a, 2);
    rb->attach(b, 2);
    auto oa = ml_test::sgd(), ob = ml_test::sgd();
    const Batch next = make_batch(kTinyIn, 6, 22, 3);
    ra->train_step(a, batch, *oa);
    rb->train_step(b, batch, *ob);
    EstimatorLog log;
    log_estimator_stats(*rb, b, next, 4, 1, log);
    ra->train_step(a, next, *oa);
    rb->train_step(b, next, *ob);
    INFO(name);
    const auto pa = ml_test::param_values(a), pb = ml_test::param_values(b);
    for (size_t i = 0; i < pa.size(); ++i) CHECK(pa[i] == pb[i]);
    for (const auto& r : log.rows()) {
      if (r.metric == "variance_rel" && name != "sign-symmetry") CHECK(r.value > 0.0);
    }
  }
}

TEST_CASE("node perturbation learns the synthetic bars", "[rules][perturbation][train]") {
  const ml_test::TempDir dir("np-train");
  TrainConfig c = ml_test::synthetic_train_config(dir.path, "flatten-fc32-relu-fc10");
  c.rule = "node-perturbation";
  c.rule_flags = {{"perturbations", "4"}};
  c.out = dir.file("run");
  const auto history = train(c);
  INFO("test accuracy " << history.back().test_acc);
  CHECK(history.back().test_acc > 0.5);  // chance 0.10
  CHECK(history.back().train_loss < history.front().train_loss);
}

TEST_CASE("ml-train runs both rules and writes estimator.csv; bad flags are one-line errors", "[cli][perturbation]") {
  const ml_test::TempDir dir("np-cli");
  const std::string data = ml_test::write_synthetic_idx(dir.file("data"), 300, 100);
  const char* bin = std::getenv("ML_BINARY_DIR");
  const std::string ml_train = std::string(bin ? bin : "..") + "/ml-train --data mnist --data-dir " + data +
                            " --arch conv4k3-relu-maxpool2-flatten-fc10 --epochs 2 --batch 32 --device cpu --no-progress";
  for (const std::string rule : {"weight-perturbation", "node-perturbation", "bp"}) {
    const fs::path out = dir.path / rule;
    const std::string own = rule == "bp" ? "" : " --perturbations 2";  // a flag of another rule is an error
    const std::string cmd = ml_train + " --rule " + rule + own + " --lr 0.001 --estimator-stats 3 --out " +
                            out.string() + " 2> " + dir.file("err") + " > /dev/null";
    INFO(cmd << "\n" << read_file(dir.file("err")));
    REQUIRE(std::system(cmd.c_str()) == 0);
    const std::string csv = read_file(out / "estimator.csv");
    REQUIRE(csv.rfind("epoch,layer,metric,value\n", 0) == 0);
    // 2 epochs x 2 weight layers x 4 metrics, plus the header
    CHECK(std::count(csv.begin(), csv.end(), '\n') == 17);
    for (const char* m : {"1,conv1,bias_angle_deg,", "2,fc1,variance_rel,", "2,fc1,snr,"}) CHECK(csv.find(m) != std::string::npos);
    CHECK((csv.find(",inf\n") != std::string::npos) == (rule == "bp"));
  }
  struct Bad { std::string args, flag; };
  for (const Bad& bad : {Bad{"--rule node-perturbation --perturbation-sigma 0", "--perturbation-sigma"},
                         Bad{"--rule weight-perturbation --perturbations 0", "--perturbations"},
                         Bad{"--rule bp --estimator-stats=-2", "--estimator-stats"},
                         Bad{"--rule bp --perturbations 2", "--perturbations: an option of weight-perturbation, "
                                                            "node-perturbation, not of --rule bp"}}) {
    const std::string cmd = ml_train + " " + bad.args + " --out " + dir.file("bad") + " 2> " + dir.file("err") + " > /dev/null";
    const int status = std::system(cmd.c_str());
    const std::string err = read_file(dir.file("err"));
    INFO(bad.args << ": " << err);
    CHECK(WEXITSTATUS(status) == 1);
    CHECK(err.find(bad.flag) != std::string::npos);
    CHECK(std::count(err.begin(), err.end(), '\n') == 1);
  }
}

TEST_CASE("estimator.csv reads back for a resumed run, inf included", "[rules][estimator]") {
  EstimatorLog log;
  log.add(1, "fc1", "snr", INFINITY);
  log.add(1, "fc1", "variance_rel", 0.25);
  log.add(2, "fc1", "snr", 3.5);
  EstimatorLog back;
  back.load_csv(log.csv(), 2);  // a run resumed in epoch 2 keeps epoch 1's rows only
  REQUIRE(back.rows().size() == 2);
  CHECK(std::isinf(back.rows()[0].value));
  CHECK(back.rows()[1].value == 0.25);
  CHECK(back.csv() == "epoch,layer,metric,value\n1,fc1,snr,inf\n1,fc1,variance_rel,0.25\n");
}
