// Shared by test_step_allocations (CPU) and gpu_test_step_allocations (CUDA):
// the tensor buffers one rule's training step allocates once it has run.
// A step that allocates cannot be captured as a CUDA graph (issue 29), and
// a cudaMalloc per step synchronises the device.
#pragma once
#include <string>

#include "engine_test_util.h"

namespace ml_test {

struct StepAllocations {
  uint64_t warm_steps = 0;     // steps 2-4 at the full batch
  uint64_t smaller_batch = 0;  // one step at a smaller batch (an epoch's last)
  uint64_t full_again = 0;     // the full batch again
  uint64_t evaluation = 0;     // an evaluate() pass after training steps
};

// The rule's own study network, made small: the seed LeNet's layer kinds at a few channels,
// or the PCN (bptt) on small images.
inline StepAllocations step_allocations(const std::string& rule, ml::Device device) {
  const ml::RuleSpec& spec = ml::rule_spec(rule);
  const ml::Shape in = {1, 12, 12};
  const std::string arch =
      spec.study_arch == "lenet" ? "conv4k3-relu-conv6k3-relu-maxpool2-flatten-fc12-relu-fc10" : spec.study_arch;
  ml::Network net(arch, in, 1, device);
  auto rule_ = ml::make_rule(rule);
  rule_->attach(net, 1);
  auto opt = sgd(0.01f);
  const ml::Batch full = make_batch(in, 8, 3, 10, device), small = make_batch(in, 5, 4, 10, device);
  auto allocations = [&] { return ml::tensor_memory_stats(device).allocations; };
  rule_->train_step(net, full, *opt);  // the first step sizes every buffer
  StepAllocations a;
  uint64_t before = allocations();
  for (int i = 0; i < 3; ++i) rule_->train_step(net, full, *opt);
  a.warm_steps = allocations() - before;
  before = allocations();
  rule_->train_step(net, small, *opt);
  a.smaller_batch = allocations() - before;
  before = allocations();
  rule_->train_step(net, full, *opt);
  a.full_again = allocations() - before;
  rule_->evaluate(net, full);  // the first evaluation may size its own buffers
  before = allocations();
  rule_->train_step(net, full, *opt);
  rule_->evaluate(net, small);
  rule_->evaluate(net, full);
  a.evaluation = allocations() - before;
  return a;
}

// Every registered rule on `device`: no allocation in any of the four phases.
inline void check_no_step_allocations(ml::Device device) {
  for (const std::string& rule : ml::rule_names()) {
    INFO("rule " << rule);
    const StepAllocations a = step_allocations(rule, device);
    CHECK(a.warm_steps == 0);
    CHECK(a.smaller_batch == 0);
    CHECK(a.full_again == 0);
    CHECK(a.evaluation == 0);
  }
}

}  // namespace ml_test
