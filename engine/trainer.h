// One training run: data set -> network + learning rule -> epochs ->
// metrics.csv, alignment.csv, config.json and model.safetensors in the output directory.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "embeddings/conv1_embedding.h"
#include "engine/optimizer.h"
#include "rules/learning_rule.h"

namespace ml {

struct TrainConfig {
  std::string rule = "bp";
  std::string data = "fashion-mnist";
  std::string data_dir;  // empty: where Debian's package installs the data set
  std::string arch = "lenet";
  int epochs = 10;
  int batch = 64;
  int test_batch = 1000;
  int limit = 0;  // train on the first N samples only (0: all)
  uint64_t seed = 1;
  std::string device = "auto";
  std::string out = "runs/bp";
  OptimizerConfig optimizer;
  RuleOptions rule_options;
  Conv1Options conv1;     // --conv1 KIND [--freeze-conv1] and the banks' options
  int align_every = 0;   // alignment.csv every K batches (0: only at the end of each epoch)
  bool progress = true;  // a progress line on stderr when it is a terminal
};

struct EpochMetrics {
  int epoch = 0;
  double train_loss = 0, train_acc = 0, test_loss = 0, test_acc = 0;
  double seconds = 0, samples_per_s = 0;
};

// Runs the whole training; throws std::exception with a one-line message on
// bad input or divergence (the last good checkpoint stays in place).
std::vector<EpochMetrics> train(const TrainConfig& config);

}  // namespace ml
