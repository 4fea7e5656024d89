// CUDA global average pooling against the CPU reference. Forward: both sum a
// plane in double, in another order: 1e-6 absolute for means of values in
// [-1, 1]. Backward: one float division per element, the same on both: exact.
#include <vector>

#include "kernels/global_avg_pool/global_avg_pool.h"
#include "gpu_test_common.h"

TEST_CASE("global average pooling CUDA matches the CPU reference", "[gpu][global_avg_pool]") {
  struct Case {
    int N, C, HW;
  };
  uint32_t seed = 7;
  for (const Case& c : {Case{1, 1, 1}, Case{3, 5, 33}, Case{7, 3, 1}, Case{64, 64, 49}, Case{1000, 64, 49},
                        Case{2, 4, 1025}}) {
    INFO("N=" << c.N << " C=" << c.C << " HW=" << c.HW);
    const size_t planes = static_cast<size_t>(c.N) * c.C, n = planes * c.HW;
    auto x = random_vector(n, seed++), dy = random_vector(planes, seed++);
    std::vector<float> y(planes), dx(n);
    ml::global_avg_pool_forward_cpu(y.data(), x.data(), c.N, c.C, c.HW);
    ml::global_avg_pool_backward_cpu(dx.data(), dy.data(), c.N, c.C, c.HW);
    Tensor gx = on_gpu(x), gdy = on_gpu(dy), gy = gpu_zeros(planes), gdx = gpu_zeros(n);
    ml::global_avg_pool_forward_cuda(gy.data(), gx.data(), c.N, c.C, c.HW);
    ml::global_avg_pool_backward_cuda(gdx.data(), gdy.data(), c.N, c.C, c.HW);
    require_close(gy.to_vector(), y, 1e-6, 0.0, "gap forward");
    require_close(gdx.to_vector(), dx, 0.0, 0.0, "gap backward");
  }
}
