// The CUDA twin of test_step_allocations: on the GPU a buffer made inside a step is a cudaMalloc
// (a device-wide synchronisation, and a step that a CUDA graph cannot capture).
#include "rules/step_allocations.h"

TEST_CASE("no rule allocates a device tensor in a training step once it has run (CUDA)", "[gpu][rules][allocations]") {
  for (const std::string& rule : ml::rule_names()) {
    INFO("rule " << rule);
    const ml_test::StepAllocations a = ml_test::step_allocations(rule, ml::Device::CUDA);
    CHECK(a.warm_steps == 0);
    CHECK(a.smaller_batch == 0);
    CHECK(a.full_again == 0);
    CHECK(a.evaluation == 0);
  }
}
