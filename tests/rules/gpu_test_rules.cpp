// Every rule's step on CUDA against the same step on the CPU: same seed, same
// batch, then the weights (and feedback weights) compared after 3 steps.
// Tolerance 1e-4 abs + 1e-3 rel: the GEMMs sum in another order on the GPU,
// and three momentum steps carry the differences forward.
#include "engine_test_util.h"

using namespace ml;

TEST_CASE("each rule's update on CUDA matches the CPU", "[gpu][rules]") {
  const char* spec = "conv4k3p1-relu-conv6k3s2-relu-maxpool2-flatten-fc12-relu-fc5";
  const Shape in = {2, 11, 11};
  const FlagValues o{{"mirror-steps", "20"}};
  for (const std::string name : {"bp", "fa", "dfa", "sign-symmetry", "weight-mirror", "kolen-pollack"}) {
    Network cpu(spec, in, 3, Device::CPU), gpu(spec, in, 3, Device::CUDA);
    auto rule_cpu = make_rule(name, flags_of_rule(name, o)), rule_gpu = make_rule(name, flags_of_rule(name, o));
    rule_cpu->attach(cpu, 1);
    rule_gpu->attach(gpu, 1);
    auto opt_cpu = ml_test::sgd(), opt_gpu = ml_test::sgd();
    for (int step = 0; step < 3; ++step) {
      rule_cpu->train_step(cpu, ml_test::make_batch(in, 6, 10 + step, 5, Device::CPU), *opt_cpu);
      rule_gpu->train_step(gpu, ml_test::make_batch(in, 6, 10 + step, 5, Device::CUDA), *opt_gpu);
    }
    INFO("rule " << name);
    const auto a = ml_test::param_values(cpu), b = ml_test::param_values(gpu);
    for (size_t i = 0; i < a.size(); ++i) ml_test::require_close(b[i], a[i], 1e-4, 1e-3, cpu.params()[i]->name);
    const auto sa = rule_cpu->state(), sb = rule_gpu->state();
    REQUIRE(sa.size() == sb.size());
    for (size_t i = 0; i < sa.size(); ++i) ml_test::require_close(sb[i].tensor.to_vector(), sa[i].tensor.to_vector(), 1e-4, 1e-3, sa[i].name);
  }
}
