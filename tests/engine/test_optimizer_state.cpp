// Optimizer state for --resume: stepping k times, saving, restoring into a
// fresh optimizer and stepping on gives the same bits as never stopping, for
// SGD with momentum and for Adam (whose step count enters the bias correction).
#include "engine/optimizer.h"
#include "test_util.h"

namespace {

struct Params {
  ml::Param w, b;
  Params() {
    w.name = "fc1.weight";
    w.value = ml::Tensor::from_vector({3, 4}, ml_test::random_vector(12, 1));
    w.grad = ml::Tensor({3, 4});
    b.name = "fc1.bias";
    b.value = ml::Tensor::from_vector({3}, ml_test::random_vector(3, 2));
    b.grad = ml::Tensor({3});
  }
  std::vector<ml::Param*> list() { return {&w, &b}; }
};

// A different gradient at every step, the same for every run.
void step(ml::Optimizer& opt, Params& p, int t) {
  p.w.grad.copy_from(ml::Tensor::from_vector({3, 4}, ml_test::random_vector(12, 100 + t)));
  p.b.grad.copy_from(ml::Tensor::from_vector({3}, ml_test::random_vector(3, 200 + t)));
  opt.step(p.list());
}

void check_resume(const ml::OptimizerConfig& c) {
  Params whole;
  auto opt = ml::make_optimizer(c);
  for (int t = 0; t < 5; ++t) step(*opt, whole, t);

  Params first;
  auto before = ml::make_optimizer(c);
  for (int t = 0; t < 2; ++t) step(*before, first, t);
  const ml::Optimizer::State saved = before->state();
  Params second;  // another process: new params with the saved values
  second.w.value.copy_from(first.w.value);
  second.b.value.copy_from(first.b.value);
  auto after = ml::make_optimizer(c);
  after->restore(saved);
  for (int t = 2; t < 5; ++t) step(*after, second, t);

  CHECK(second.w.value.to_vector() == whole.w.value.to_vector());
  CHECK(second.b.value.to_vector() == whole.b.value.to_vector());
  // and not by accident: a fresh optimizer without the state ends elsewhere
  Params fresh;
  fresh.w.value.copy_from(first.w.value);
  fresh.b.value.copy_from(first.b.value);
  auto forgetful = ml::make_optimizer(c);
  for (int t = 2; t < 5; ++t) step(*forgetful, fresh, t);
  CHECK(fresh.w.value.to_vector() != whole.w.value.to_vector());
}

}  // namespace

TEST_CASE("SGD momentum: saved and restored state continues bit for bit", "[optim][resume]") {
  ml::OptimizerConfig c;
  c.lr = 0.1f;
  c.momentum = 0.9f;
  check_resume(c);
}

TEST_CASE("Adam: saved and restored moments and step counts continue bit for bit", "[optim][resume]") {
  ml::OptimizerConfig c;
  c.name = "adam";
  c.lr = 0.01f;
  check_resume(c);
  auto opt = ml::make_optimizer(c);
  Params p;
  step(*opt, p, 0);
  step(*opt, p, 1);
  const auto s = opt->state();
  CHECK(s.steps.at("fc1.weight") == 2);
  CHECK(s.tensors.size() == 4);  // adam_m and adam_v of both
}

TEST_CASE("two stepped params with one name cannot be saved", "[optim][resume][errors]") {
  ml::OptimizerConfig c;
  auto opt = ml::make_optimizer(c);
  Params p;
  p.b.name = p.w.name;
  step(*opt, p, 0);
  CHECK_THROWS_AS(opt->state(), std::logic_error);
}
