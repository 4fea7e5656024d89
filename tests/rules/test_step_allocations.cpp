// Every rule's training step reuses its tensor buffers: after the first step, steps at the same
// batch size, at a smaller one (an epoch's last batch) and back, and the evaluation passes between
// them, allocate nothing (engine/tensor.h's counter, which every Tensor buffer goes through).
#include "rules/step_allocations.h"

TEST_CASE("no rule allocates a tensor in a training step once it has run (CPU)", "[rules][allocations]") {
  ml_test::check_no_step_allocations(ml::Device::CPU);
}

TEST_CASE("the allocation counter sees a step's new buffer", "[rules][allocations]") {
  // The check above can fail: a tensor made inside a step is counted.
  const uint64_t before = ml::tensor_memory_stats(ml::Device::CPU).allocations;
  { const ml::Tensor scratch({8, 4}, ml::Device::CPU); }
  REQUIRE(ml::tensor_memory_stats(ml::Device::CPU).allocations == before + 1);
}
