// A finished study run read back from its directory: metrics.csv,
// alignment.csv, config.json and the recorded activations' directory.
#pragma once
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "rules/alignment.h"
#include "training/run_dir.h"

namespace ml {

struct EpochRow {
  int epoch = 0;
  double train_loss = 0, train_acc = 0, test_loss = 0, test_acc = 0, seconds = 0, samples_per_s = 0;
  double val_loss = NAN, val_acc = NAN;  // NaN: the run held no validation split out
};

struct RunData {
  std::string name, rule, dir;
  std::string conv1;  // the first layer's embedding ("learned" or empty: trained by the rule)
  uint64_t seed = 1;
  int epochs_planned = 0;
  std::vector<EpochRow> epochs;
  std::vector<AlignmentRow> alignment;
  std::vector<std::string> layers;  // recorded layers (acts/layers.txt), network order
  int batches_per_epoch = 0;

  bool diverged() const { return static_cast<int>(epochs.size()) < epochs_planned; }
  double final_test_acc() const { return epochs.empty() ? 0 : epochs.back().test_acc; }
  // The epoch the run is reported at: the first of the best val_acc (the last without a validation split).
  // Nothing on the test set chooses it.
  const EpochRow& selected() const;
  double selected_test_acc() const { return epochs.empty() ? 0 : selected().test_acc; }
  // The rule and, for bp above a designed first layer, that layer ("bp-conv1-gabor"): the seeds of one
  // variant are its repeats.
  std::string variant() const { return conv1.empty() || conv1 == "learned" ? rule : rule + "-conv1-" + conv1; }
  ActsDir acts() const { return RunDir(dir).acts(); }
};

// True when the run recorded every one of layers.
bool has_layers(const RunData& run, const std::vector<std::string>& layers);

// Throws std::runtime_error naming the file for a missing or malformed one.
RunData load_run(const std::string& dir, const std::string& name);

// Rows of a simple CSV file (no quoting: our own files only), header included.
std::vector<std::vector<std::string>> read_csv(const std::string& path);

}  // namespace ml
