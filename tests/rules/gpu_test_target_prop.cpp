// Target propagation on CUDA against the CPU: the noise op (the same
// counter-based draw on both sides, so equal to float rounding: 1e-6 abs +
// 1e-5 rel), and each rule's three training steps plus a feedback
// pre-training step, weights and feedback weights compared (1e-4 abs + 1e-3
// rel, as gpu_test_rules: GEMMs sum in another order, and Adam's first steps
// on the feedback weights amplify sign-level differences of tiny gradients).
#include "engine_test_util.h"
#include "kernels/channel_bias/channel_bias.h"
#include "kernels/noise/noise.h"

using namespace ml;

TEST_CASE("add_normal_noise on CUDA matches the CPU", "[gpu][kernels][noise]") {
  for (const size_t n : {size_t(1), size_t(1000), size_t(300001)}) {
    const std::vector<float> x = ml_test::random_vector(n, 11);
    std::vector<float> ref(n), ref_null(n);
    add_normal_noise_cpu(ref.data(), x.data(), 0.3f, 1234, n);
    add_normal_noise_cpu(ref_null.data(), nullptr, 0.3f, 99, n);
    Tensor dx = ml_test::on_gpu(x), dy = ml_test::gpu_zeros(n), dz = ml_test::gpu_zeros(n);
    add_normal_noise_cuda(dy.data(), dx.data(), 0.3f, 1234, n);
    add_normal_noise_cuda(dz.data(), nullptr, 0.3f, 99, n);
    INFO("n " << n);
    ml_test::require_close(dy.to_vector(), ref, 1e-6, 1e-5, "x + noise");
    ml_test::require_close(dz.to_vector(), ref_null, 1e-6, 1e-5, "noise alone");
  }
}

TEST_CASE("channel_bias on CUDA matches the CPU", "[gpu][kernels][channel-bias]") {
  struct Dims { int N, C, HW; };
  for (const Dims d : {Dims{1, 1, 1}, Dims{64, 256, 1}, Dims{7, 32, 676}, Dims{3, 5, 1000}}) {
    const size_t n = size_t(d.N) * d.C * d.HW;
    const std::vector<float> y0 = ml_test::random_vector(n, 21), b = ml_test::random_vector(d.C, 22);
    std::vector<float> y = y0, db(d.C);
    channel_bias_add_cpu(y.data(), b.data(), d.N, d.C, d.HW);
    channel_bias_grad_cpu(db.data(), y0.data(), d.N, d.C, d.HW);
    Tensor gy = ml_test::on_gpu(y0), gb = ml_test::on_gpu(b), gdb = ml_test::gpu_zeros(d.C);
    channel_bias_add_cuda(gy.data(), gb.data(), d.N, d.C, d.HW);
    channel_bias_grad_cuda(gdb.data(), ml_test::on_gpu(y0).data(), d.N, d.C, d.HW);
    INFO("N " << d.N << " C " << d.C << " HW " << d.HW);
    ml_test::require_close(gy.to_vector(), y, 0, 0, "add (one float addition each: exact)");
    // float tree sum on the GPU against a double sum: N * HW terms in [-1, 1]
    ml_test::require_close(gdb.to_vector(), db, ml_test::atol_for(static_cast<long long>(d.N) * d.HW), 1e-5, "grad");
  }
}

TEST_CASE("each target-propagation rule's update on CUDA matches the CPU", "[gpu][rules]") {
  const char* spec = "conv4k3p1-relu-conv6k3s2-relu-maxpool2-flatten-fc12-relu-fc5";
  const Shape in = {2, 11, 11};
  // sgd: Adam's normalised first step would magnify rounding in near-zero gradients
  // two feedback steps for every rule (ldrl's default 20 would only repeat them)
  const FlagValues o{{"feedback-optimizer", "sgd"}, {"feedback-lr", "0.001"}, {"feedback-steps", "2"}};
  for (const std::string name : {"dtp", "dtp-linear", "ddtp", "ldrl", "ldrl-linear"}) {
    Network cpu(spec, in, 3, Device::CPU), gpu(spec, in, 3, Device::CUDA);
    auto rule_cpu = make_rule(name, o), rule_gpu = make_rule(name, o);
    rule_cpu->attach(cpu, 1);
    rule_gpu->attach(gpu, 1);
    rule_cpu->pretrain_step(cpu, ml_test::make_batch(in, 6, 9, 5, Device::CPU));
    rule_gpu->pretrain_step(gpu, ml_test::make_batch(in, 6, 9, 5, Device::CUDA));
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
    for (size_t i = 0; i < sa.size(); ++i) {
      ml_test::require_close(sb[i].tensor.to_vector(), sa[i].tensor.to_vector(), 1e-4, 1e-3, sa[i].name);
    }
  }
}
