// What one training step moves between the host and the device, per rule (engine/host_transfers.h
// counts the same calls on the CPU as on a GPU). A CUDA graph holds no host transfer, and each read
// waits for the device; so every transfer is named here and the rest is held to none:
//   - the loss's readback (two copies: log-probabilities and per-sample losses), every rule;
//   - pc: the loss and one read of the energy's K sums per evaluation, T + 1 evaluations;
//   - weight perturbation: one more loss per perturbed forward pass (two-sided: two);
//   - node perturbation: the replicated labels up, and the perturbed log-probabilities back.
// And no step reads a hidden layer back: the bytes read stay below one conv1 output.
#include "engine_test_util.h"
#include "engine/host_transfers.h"

using namespace ml;

namespace {

struct StepTransfers {
  HostTransfers moved;
  size_t conv1_output_bytes = 0;
};

StepTransfers one_step(const std::string& rule) {
  const RuleSpec& spec = rule_spec(rule);
  const Shape in = {1, 16, 16};
  // conv1's output (16 x 14 x 14 per image) is 31x the logits' 10 floats per image
  const std::string arch =
      spec.study_arch == "lenet" ? "conv16k3-relu-conv8k3-relu-maxpool2-flatten-fc12-relu-fc10" : spec.study_arch;
  Network net(arch, in, 1, Device::CPU);
  auto r = make_rule(rule);
  r->attach(net, 1);
  auto opt = ml_test::sgd(0.01f);
  const Batch batch = ml_test::make_batch(in, 8, 3, 10);
  for (int i = 0; i < 2; ++i) r->train_step(net, batch, *opt);
  const HostTransfers before = host_transfers();
  r->train_step(net, batch, *opt);
  const HostTransfers after = host_transfers();
  StepTransfers s;
  s.moved = {after.reads - before.reads, after.writes - before.writes, after.read_bytes - before.read_bytes,
             after.write_bytes - before.write_bytes};
  s.conv1_output_bytes = net.layer(0).output().numel() * sizeof(float);
  return s;
}

}  // namespace

TEST_CASE("a training step's host transfers: the loss, and only the named rules more", "[rules][host_transfers]") {
  const uint64_t loss_reads = 2;
  for (const std::string& rule : rule_names()) {
    INFO("rule " << rule);
    const StepTransfers s = one_step(rule);
    CHECK(s.moved.read_bytes < s.conv1_output_bytes);
    if (rule == "pc") {
      const int T = 10;  // --inference-steps' default
      CHECK(s.moved.reads == (T + 1) * (loss_reads + 1));
      CHECK(s.moved.writes == 0);
    } else if (rule == "weight-perturbation") {
      CHECK(s.moved.reads > loss_reads);
      CHECK(s.moved.reads <= 3 * loss_reads);
      CHECK(s.moved.writes == 0);
    } else if (rule == "node-perturbation") {
      CHECK(s.moved.reads == loss_reads + 1);
      CHECK(s.moved.writes == 1);
    } else {
      CHECK(s.moved.reads == loss_reads);
      CHECK(s.moved.writes == 0);
    }
  }
}

TEST_CASE("the counter sees a layer read back", "[rules][host_transfers]") {
  const Tensor t({4, 16, 14, 14});
  const HostTransfers before = host_transfers();
  (void)t.to_vector();
  const HostTransfers after = host_transfers();
  CHECK(after.reads == before.reads + 1);
  CHECK(after.read_bytes - before.read_bytes == t.numel() * sizeof(float));
}
