// pc on CUDA against the same steps on the CPU: the rule composes existing
// layer primitives and kernels (forward, backward_input, weight_grads, axpby,
// log-softmax), so this checks the composition on the device: the energy trace
// of one inference, then the weights after 3 training steps.
// Tolerance 1e-4 abs + 1e-3 rel as for the other rules: the GEMMs sum in another
// order on the GPU, and inference (T steps) and momentum carry differences forward.
#include "rules/predictive_coding.h"
#include "engine_test_util.h"

using namespace ml;

TEST_CASE("pc's inference and update on CUDA match the CPU", "[gpu][rules][pc]") {
  const char* spec = "conv4k3p1-relu-conv6k3s2-relu-maxpool2-flatten-fc12-relu-fc5";
  const Shape in = {2, 11, 11};
  const PredictiveCodingOptions o{.inference_steps = 8, .inference_lr = 0.3f, .pc_beta = 0.1f};
  Network cpu(spec, in, 3, Device::CPU), gpu(spec, in, 3, Device::CUDA);
  PredictiveCoding rule_cpu(o), rule_gpu(o);
  rule_cpu.attach(cpu, 1);
  rule_gpu.attach(gpu, 1);

  rule_cpu.set_track_energy(true);
  rule_gpu.set_track_energy(true);
  rule_cpu.compute_gradients(cpu, ml_test::make_batch(in, 6, 9, 5, Device::CPU));
  rule_gpu.compute_gradients(gpu, ml_test::make_batch(in, 6, 9, 5, Device::CUDA));
  const auto& ea = rule_cpu.energy_trace();
  const auto& eb = rule_gpu.energy_trace();
  REQUIRE(ea.size() == eb.size());
  for (size_t t = 0; t < ea.size(); ++t) CHECK(eb[t] == Approx(ea[t]).epsilon(1e-4));
  const auto ga = cpu.params(), gb = gpu.params();
  for (size_t i = 0; i < ga.size(); ++i) {
    ml_test::require_close(gb[i]->grad.to_vector(), ga[i]->grad.to_vector(), 1e-5, 1e-3, ga[i]->name + " grad");
  }

  rule_cpu.set_track_energy(false);
  rule_gpu.set_track_energy(false);
  auto opt_cpu = ml_test::sgd(), opt_gpu = ml_test::sgd();
  for (int step = 0; step < 3; ++step) {
    rule_cpu.train_step(cpu, ml_test::make_batch(in, 6, 10 + step, 5, Device::CPU), *opt_cpu);
    rule_gpu.train_step(gpu, ml_test::make_batch(in, 6, 10 + step, 5, Device::CUDA), *opt_gpu);
  }
  const auto a = ml_test::param_values(cpu), b = ml_test::param_values(gpu);
  for (size_t i = 0; i < a.size(); ++i) ml_test::require_close(b[i], a[i], 1e-4, 1e-3, cpu.params()[i]->name);
}
