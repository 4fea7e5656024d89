// The CUDA twin of test_step_allocations: on the GPU a buffer made inside a step is a cudaMalloc
// (a device-wide synchronisation, and a step that a CUDA graph cannot capture).
#include "rules/step_allocations.h"

TEST_CASE("no rule allocates a device tensor in a training step once it has run (CUDA)", "[gpu][rules][allocations]") {
  ml_test::check_no_step_allocations(ml::Device::CUDA);
}
