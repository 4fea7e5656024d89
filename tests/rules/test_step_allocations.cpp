// Every rule's training step reuses its tensor buffers: after the first step, steps at the same
// batch size, at a smaller one (an epoch's last batch) and back, and the evaluation passes between
// them, allocate nothing (engine/tensor.h's counter, which every Tensor buffer goes through).
#include "rules/step_allocations.h"

TEST_CASE("no rule allocates a tensor in a training step once it has run (CPU)", "[rules][allocations]") {
  for (const std::string& rule : ml::rule_names()) {
    INFO("rule " << rule);
    const ml_test::StepAllocations a = ml_test::step_allocations(rule, ml::Device::CPU);
    CHECK(a.warm_steps == 0);
    CHECK(a.smaller_batch == 0);
    CHECK(a.full_again == 0);
    CHECK(a.evaluation == 0);
  }
}

TEST_CASE("the allocation counter sees a step's new buffer", "[rules][allocations]") {
  // The check above can fail: a tensor made inside a step is counted.
  const uint64_t before = ml::tensor_memory_stats(ml::Device::CPU).allocations;
  { const ml::Tensor scratch({8, 4}, ml::Device::CPU); }
  REQUIRE(ml::tensor_memory_stats(ml::Device::CPU).allocations == before + 1);
}
