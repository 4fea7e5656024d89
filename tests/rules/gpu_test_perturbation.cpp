// Perturbation learning on CUDA against the CPU: the two batched
// node-perturbation ops (the same counter-based draw on both sides, so equal to
// float rounding: 1e-6 abs + 1e-5 rel), and each rule's update. The updates
// divide loss differences by sigma^2, which magnifies the GEMMs' different
// summation orders; sigma = 0.1 keeps that far below the 1e-4 abs + 1e-3 rel
// tolerance (an indexing error would be O(1)).
#include "engine_test_util.h"
#include "kernels/perturb/perturb.h"

using namespace ml;

TEST_CASE("perturb_copies and scale_rows on CUDA match the CPU", "[gpu][kernels][perturb]") {
  struct Dims { size_t M; int copies; };
  for (const Dims d : {Dims{1, 1}, Dims{7, 2}, Dims{1000, 5}, Dims{21632 * 3, 9}}) {
    for (const bool antithetic : {false, true}) {
      const size_t n = d.M * d.copies;
      const std::vector<float> x = ml_test::random_vector(n, 5);
      std::vector<float> y(n), noise(n);
      perturb_copies_cpu(y.data(), noise.data(), x.data(), 0.3f, 77, d.M, d.copies, antithetic);
      Tensor gx = ml_test::on_gpu(x), gy = ml_test::gpu_zeros(n), gn = ml_test::gpu_zeros(n);
      perturb_copies_cuda(gy.data(), gn.data(), gx.data(), 0.3f, 77, d.M, d.copies, antithetic);
      INFO("M " << d.M << " copies " << d.copies << " antithetic " << antithetic);
      ml_test::require_close(gn.to_vector(), noise, 1e-6, 1e-5, "noise");
      ml_test::require_close(gy.to_vector(), y, 1e-6, 1e-5, "x + noise");

      const size_t rows = d.copies * (d.M % 3 == 0 ? 3 : 1), row_size = n / rows;
      const std::vector<float> coef = ml_test::random_vector(rows, 6);
      std::vector<float> scaled(n);
      scale_rows_cpu(scaled.data(), x.data(), coef.data(), rows, row_size);
      Tensor gc = ml_test::on_gpu(coef), gs = ml_test::gpu_zeros(n);
      scale_rows_cuda(gs.data(), gx.data(), gc.data(), rows, row_size);
      ml_test::require_close(gs.to_vector(), scaled, 0, 0, "scale_rows (one product each: exact)");
    }
  }
}

TEST_CASE("each perturbation rule's update on CUDA matches the CPU", "[gpu][rules][perturbation]") {
  const char* spec = "conv4k3p1-relu-conv6k3s2-relu-maxpool2-flatten-fc12-relu-fc5";
  const Shape in = {2, 11, 11};
  FlagValues o{{"perturbation-sigma", "0.1"}, {"perturbations", "3"}};
  for (const std::string name : {"node-perturbation", "weight-perturbation"}) {
    for (const bool antithetic : {false, true}) {
      o.set("antithetic", antithetic ? "true" : "false");
      Network cpu(spec, in, 3, Device::CPU), gpu(spec, in, 3, Device::CUDA);
      auto rule_cpu = make_rule(name, o), rule_gpu = make_rule(name, o);
      rule_cpu->attach(cpu, 1);
      rule_gpu->attach(gpu, 1);
      rule_cpu->compute_gradients(cpu, ml_test::make_batch(in, 6, 10, 5, Device::CPU));
      rule_gpu->compute_gradients(gpu, ml_test::make_batch(in, 6, 10, 5, Device::CUDA));
      INFO("rule " << name << " antithetic " << antithetic);
      const auto pc = cpu.params(), pg = gpu.params();
      for (size_t i = 0; i < pc.size(); ++i) {
        ml_test::require_close(pg[i]->grad.to_vector(), pc[i]->grad.to_vector(), 1e-4, 1e-3, pc[i]->name);
      }
    }
  }
}
