// axpby and sign_feedback on CUDA against the CPU reference.
// Tolerance: axpby is one fused multiply-add per element (nvcc may fuse where
// the CPU rounds twice): 1e-6 abs + 1e-6 rel; sign_feedback is exact.
#include "kernels/elementwise/elementwise.h"
#include "gpu_test_common.h"

TEST_CASE("axpby and sign_feedback: CUDA matches CPU", "[gpu][elementwise]") {
  for (size_t n : {size_t(1), size_t(1000), size_t(300001)}) {
    auto x = ml_test::random_vector(n, 1), y = ml_test::random_vector(n, 2), m = ml_test::random_vector(n, 3);
    x[0] = 0.0f;  // sign(0) = 0
    std::vector<float> y_cpu = y;
    ml::axpby_cpu(y_cpu.data(), x.data(), 0.3f, 0.9f, n);
    Tensor xd = Tensor::from_vector({int(n)}, x, Device::CUDA), yd = Tensor::from_vector({int(n)}, y, Device::CUDA);
    ml::axpby_cuda(yd.data(), xd.data(), 0.3f, 0.9f, n);
    ml_test::require_close(yd.to_vector(), y_cpu, 1e-6, 1e-6, "axpby");

    for (bool with_magnitude : {false, true}) {
      std::vector<float> out_cpu(n);
      ml::sign_feedback_cpu(out_cpu.data(), x.data(), with_magnitude ? m.data() : nullptr, 0.25f, n);
      Tensor md = Tensor::from_vector({int(n)}, m, Device::CUDA), outd({int(n)}, Device::CUDA);
      ml::sign_feedback_cuda(outd.data(), xd.data(), with_magnitude ? md.data() : nullptr, 0.25f, n);
      ml_test::require_close(outd.to_vector(), out_cpu, 0, 0, "sign_feedback");
    }
  }
}
