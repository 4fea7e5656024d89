// Denormals are flushed to zero on the calling thread and the OpenMP workers.
#include <omp.h>

#include <atomic>
#include <limits>

#include "base/cpu_flags.h"
#include "test_util.h"

namespace {
float tiny_product() {
  volatile float a = 1e-30f, b = 1e-10f;  // 1e-40 is below FLT_MIN (1.2e-38): a denormal
  return a * b;
}
}  // namespace

TEST_CASE("flush_denormals_to_zero turns denormal results into 0 on every thread", "[cpu]") {
  REQUIRE(std::numeric_limits<float>::has_denorm == std::denorm_present);
  ml::flush_denormals_to_zero();
  CHECK(tiny_product() == 0.0f);
  std::atomic<int> nonzero{0};
#pragma omp parallel
  {
    if (tiny_product() != 0.0f) ++nonzero;
  }
  CHECK(nonzero == 0);
}
