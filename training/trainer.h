// One training run: data set -> network + learning rule -> epochs ->
// metrics.csv, alignment.csv, config.json and model.safetensors in the output directory.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "datasets/validation_split.h"
#include "embeddings/conv1_embedding.h"
#include "engine/optimizer.h"
#include "training/train_state.h"
#include "rules/registry.h"

namespace ml {

struct TrainConfig {
  std::string rule = "bp";
  std::string data = "fashion-mnist";
  std::string data_dir;  // empty: where Debian's package installs the data set
  std::string arch = "lenet";
  int epochs = 10;
  int batch = 64;
  int test_batch = 1000;
  int limit = 0;  // train on the first N samples only (0: all), counted after the validation split
  int val = 0;    // --val: training images held out as the validation split (0: none)
  uint64_t val_seed = kDefaultValSeed;  // --val-seed: which images (datasets/validation_split.h)
  std::vector<double> snapshots;  // --snapshots: epochs (fractions allowed), ascending, where the model is saved
  uint64_t seed = 1;
  std::string device = "auto";
  std::string out = "runs/bp";
  OptimizerConfig optimizer;
  FlagValues rule_flags;  // the rule's own flags as given (rules/registry.h fills in the defaults)
  Conv1Options conv1;     // --conv1 KIND [--freeze-conv1] and the banks' options
  int align_every = 0;   // alignment.csv every K batches (0: only at the end of each epoch)
  int estimator_stats = 0;  // estimator.csv: draws of the rule's update per epoch on the first batch (0: none)
  bool progress = true;  // a progress line on stderr when it is a terminal
  int checkpoint_every = 0;  // also save the training state every N batches (0: at each epoch's end only)
  double max_loss = 0;       // stop as diverged when a batch's mean train loss exceeds it (0: only on NaN / Inf)
  bool resume = false;       // continue the run in out from its training state (this config must be that run's)
  bool overwrite = false;    // out may hold an earlier run: its outputs are removed first (else that is an error)
  std::vector<std::string> command_line;  // ml-train's arguments, kept in config.json: --resume rebuilds the config from them
};

// Thrown by train() after SIGINT or SIGTERM (once base/stop_signal.h's
// handlers are installed): the batch was finished and the training state
// saved, so the run can be resumed; what() says where.
struct TrainingInterrupted : std::runtime_error {
  TrainingInterrupted(int sig, const std::string& what) : std::runtime_error(what), signal(sig) {}
  int signal;
};

// Runs the whole training; throws std::exception with a one-line message on
// bad input or divergence (the last good checkpoint stays in place). Each
// epoch's end, and every checkpoint_every batches, saves out/train_state.safetensors.
std::vector<EpochMetrics> train(const TrainConfig& config);

}  // namespace ml
