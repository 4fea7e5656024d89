// ml-bench train: end-to-end training throughput of one rule, the time of each
// phase of a batch, and memory (peak, and allocations inside the batch loop).
#pragma once
#include <cstdint>
#include <string>

#include "engine/optimizer.h"
#include "rules/registry.h"

namespace ml_bench {

struct TrainBenchOptions {
  std::string rule = "bp", arch = "lenet", data = "fashion-mnist", data_dir, device = "cpu";
  int batch = 64, batches = 100, warmup = 5;
  uint64_t seed = 1;
  ml::OptimizerConfig optimizer;
  ml::FlagValues rule_flags;  // the rule's own flags (defaults where missing)
};

struct TrainBenchResult {
  double samples_per_s = 0;
  // per batch, ms: gathering the batch; the forward pass; the rule's backward
  // (compute_gradients minus forward); the update (train_step minus compute_gradients), and its
  // timing noise (two standard errors of the per-batch difference: an update smaller than this,
  // negative included, is not resolved from noise).
  double data_ms = 0, forward_ms = 0, backward_ms = 0, update_ms = 0, update_noise_ms = 0, step_ms = 0;
  double host_peak_rss_mib = 0, tensor_peak_mib = 0;
  double allocations_per_batch = 0;  // Tensor allocations per timed batch after the warm-up
  // Host transfers per timed batch, the batch's gather included (engine/host_transfers.h): reads
  // wait for the device, and neither kind can sit inside a CUDA graph.
  double host_reads_per_batch = 0, host_read_kib_per_batch = 0, host_writes_per_batch = 0;
  int threads = 1;
};

// data "synthetic": random images of the seed LeNet's input size (no files needed).
TrainBenchResult run_train_bench(const TrainBenchOptions& options);

}  // namespace ml_bench
