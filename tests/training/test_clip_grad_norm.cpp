// --clip-grad-norm: the global gradient norm over the params stepped together,
// checked against norms worked out by hand (3-4-12-13), and the update it makes
// checked against an unclipped step on gradients scaled by hand.
#include <cmath>
#include <sstream>

#include "engine/optimizer.h"
#include "kernels/optimizer/optimizer_update.h"
#include "ml_train_cli.h"
#include "synthetic_idx.h"
#include "test_util.h"

namespace {

ml::Param make_param(const std::string& name, std::vector<float> value, std::vector<float> grad) {
  ml::Param p;
  p.name = name;
  const int n = static_cast<int>(value.size());
  p.value = ml::Tensor::from_vector({n}, std::move(value));
  p.grad = ml::Tensor::from_vector({n}, std::move(grad));
  return p;
}

}  // namespace

TEST_CASE("sum_squares_cpu: the squares summed in double", "[optim][clip]") {
  const std::vector<float> x = {3.0f, -4.0f, 12.0f};
  CHECK(ml::sum_squares_cpu(x.data(), x.size()) == 169.0);
  CHECK(ml::sum_squares_cpu(x.data(), 0) == 0.0);
  // 1e8 ones: a float accumulator would stop at 2^24
  const std::vector<float> ones(1 << 25, 1.0f);
  CHECK(ml::sum_squares_cpu(ones.data(), ones.size()) == static_cast<double>(1 << 25));
}

TEST_CASE("grad_scale multiplies the gradient and nothing else", "[optim][clip]") {
  std::vector<float> w = {1.0f, -2.0f}, g = {0.5f, 0.25f};
  ml::SgdConfig c{0.1f, 0.0f, 0.1f};
  c.grad_scale = 0.5f;
  ml::sgd_update_cpu(w.data(), nullptr, g.data(), 2, c);
  CHECK(w[0] == Approx(1.0 - 0.1 * (0.25 + 0.1 * 1.0)));  // weight decay unscaled, as PyTorch
  CHECK(w[1] == Approx(-2.0 - 0.1 * (0.125 + 0.1 * -2.0)));
  CHECK(g[0] == 0.5f);  // the stored gradient is left as it was
}

TEST_CASE("clip-grad-norm: gradients above the norm are scaled to it, over all params", "[optim][clip]") {
  for (const std::string name : {"sgd", "adam"}) {
    INFO(name);
    // grads (3, 4) and (12): global norm 13; clipping at 6.5 halves them
    ml::OptimizerConfig clipped_config;
    clipped_config.name = name;
    clipped_config.lr = 0.1f;
    clipped_config.momentum = 0.0f;
    clipped_config.clip_grad_norm = 6.5f;
    ml::Param a = make_param("a", {1.0f, 2.0f}, {3.0f, 4.0f}), b = make_param("b", {-1.0f}, {12.0f});
    auto clipped = ml::make_optimizer(clipped_config);
    clipped->step({&a, &b});
    CHECK(clipped->last_grad_norm() == Approx(13.0).epsilon(1e-12));

    ml::OptimizerConfig plain_config = clipped_config;
    plain_config.clip_grad_norm = 0.0f;
    const float half = static_cast<float>(6.5 / (13.0 + 1e-6));
    ml::Param ra = make_param("a", {1.0f, 2.0f}, {3.0f * half, 4.0f * half});
    ml::Param rb = make_param("b", {-1.0f}, {12.0f * half});
    auto plain = ml::make_optimizer(plain_config);
    plain->step({&ra, &rb});
    ml_test::require_close(a.value.to_vector(), ra.value.to_vector(), 1e-6, 1e-6, "a");
    ml_test::require_close(b.value.to_vector(), rb.value.to_vector(), 1e-6, 1e-6, "b");
    if (name == "sgd") CHECK(a.value.to_vector()[0] == Approx(1.0 - 0.1 * 1.5).margin(1e-6));
  }
}

TEST_CASE("clip-grad-norm: a norm under the threshold and frozen params are left alone", "[optim][clip]") {
  ml::OptimizerConfig c;
  c.lr = 1.0f;
  c.momentum = 0.0f;
  c.clip_grad_norm = 5.0f;
  ml::Param a = make_param("a", {0.0f, 0.0f}, {3.0f, 4.0f});  // norm 5: at the threshold
  ml::Param frozen = make_param("f", {0.0f}, {100.0f});
  frozen.frozen = true;
  auto opt = ml::make_optimizer(c);
  opt->step({&a, &frozen});
  CHECK(opt->last_grad_norm() == Approx(5.0).epsilon(1e-12));  // the frozen grad is not counted
  CHECK(a.value.to_vector()[0] == Approx(-3.0).epsilon(1e-6));
  CHECK(a.value.to_vector()[1] == Approx(-4.0).epsilon(1e-6));
  CHECK(frozen.value.to_vector()[0] == 0.0f);
}

TEST_CASE("clip-grad-norm: a negative or non-finite value is refused by name", "[optim][clip][errors]") {
  for (const float bad : {-1.0f, std::nanf(""), INFINITY}) {
    ml::OptimizerConfig c;
    c.clip_grad_norm = bad;
    CHECK_THROWS_WITH(ml::make_optimizer(c), Catch::Contains("--clip-grad-norm"));
  }
}

// The last epoch's train loss from metrics.csv (epoch,train_loss,...).
double last_train_loss(const std::filesystem::path& run) {
  std::istringstream lines(ml_test::slurp(run / "metrics.csv"));
  std::string line, last;
  while (std::getline(lines, line)) if (!line.empty()) last = line;
  return std::stod(last.substr(last.find(',') + 1));
}

TEST_CASE("ml-train --clip-grad-norm: in config.json; a tiny norm holds training back; -1 writes nothing",
          "[optim][clip][cli]") {
  ml_test::TempDir dir("clip");
  const std::string data = ml_test::write_synthetic_idx(dir.file("data"), 200, 50);
  const std::string base = "--data mnist --data-dir " + data +
                           " --arch flatten-fc16-relu-fc10 --epochs 3 --batch 50 --device cpu --no-progress";
  auto [code, err] = ml_test::run_ml_train(base + " --out " + dir.file("free"), dir.file("a.err"));
  INFO(err);
  REQUIRE(code == 0);
  auto [clip_code, clip_err] =
      ml_test::run_ml_train(base + " --clip-grad-norm 0.001 --out " + dir.file("clipped"), dir.file("b.err"));
  INFO(clip_err);
  REQUIRE(clip_code == 0);
  CHECK_THAT(ml_test::slurp(dir.path / "clipped" / "config.json"), Catch::Contains("\"clip_grad_norm\": 0.001"));
  // 12 steps of at most lr * 0.001 in norm barely move the net from its initial loss
  const double free_loss = last_train_loss(dir.path / "free"), clipped_loss = last_train_loss(dir.path / "clipped");
  INFO("train loss after 3 epochs: unclipped " << free_loss << ", clipped " << clipped_loss);
  CHECK(clipped_loss > free_loss + 0.1);
  CHECK(clipped_loss == Approx(std::log(10.0)).margin(0.2));

  auto [bad_code, bad_err] = ml_test::run_ml_train(base + " --clip-grad-norm -1 --out " + dir.file("bad"),
                                                   dir.file("bad.err"));
  CHECK(bad_code == 1);
  CHECK_THAT(bad_err, Catch::Contains("--clip-grad-norm"));
  CHECK_FALSE(std::filesystem::exists(dir.path / "bad"));
}
