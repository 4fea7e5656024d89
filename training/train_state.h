// The training state that ml-train --resume continues from, bit for bit: the
// weights, the rule's state, tensors and random streams, the optimizers'
// moments and step counts, where training stands (epoch, batch, the epoch's
// sums so far) and the metrics.csv / alignment.csv rows so far. The data order
// needs no saving: it is a function of (seed, epoch) (datasets/dataset.h epoch_order).
//
// One file, DIR/train_state.safetensors (training/run_dir.h), written atomically, so a kill at any
// moment leaves either the previous state or the new one, never a mix. Tensors
// are prefixed "net/", "rule/", "opt/", "rule_opt/<name>/"; the rest is JSON
// in the metadata entry "progress". model.safetensors stays what readers know.
#pragma once
#include <limits>
#include <string>
#include <vector>

#include "engine/network.h"
#include "engine/optimizer.h"
#include "rules/alignment.h"
#include "rules/learning_rule.h"

namespace ml {

struct EpochMetrics {
  int epoch = 0;
  double train_loss = 0, train_acc = 0, test_loss = 0, test_acc = 0;
  double seconds = 0, samples_per_s = 0;
  // On the validation split (--val); NaN when the run holds none out.
  double val_loss = std::numeric_limits<double>::quiet_NaN(), val_acc = std::numeric_limits<double>::quiet_NaN();
};

// The epoch a run would be reported at: the first with the best val_acc; without a validation split, the last.
// history must not be empty.
const EpochMetrics& val_selected(const std::vector<EpochMetrics>& history);

// A model saved mid-run (ml-train --snapshots): where, and its validation figures there.
struct SnapshotRow {
  std::string label;  // the epoch as the user gave it: "0.25", "2"
  int epoch = 0, batch = 0;  // saved after batch `batch` of epoch `epoch`
  double val_loss = std::numeric_limits<double>::quiet_NaN(), val_acc = std::numeric_limits<double>::quiet_NaN();
};

struct TrainProgress {
  int epoch = 1, batch = 0;  // next to train: epoch `epoch`, after its first `batch` batches
  double loss_sum = 0, seconds = 0;  // of the epoch so far (seconds: training time, alignment excluded)
  long correct = 0, seen = 0;
  std::vector<EpochMetrics> history;  // metrics.csv rows of the finished epochs
  AlignmentLog alignment;             // alignment.csv rows so far
  std::vector<SnapshotRow> snapshots;  // snapshots.csv rows so far (--snapshots)
};

// Writes path atomically. Throws std::runtime_error naming path on I/O failure.
void save_train_state(const std::string& path, Network& net, LearningRule& rule, const Optimizer& opt,
                      const TrainProgress& progress);

// Restores net, rule and opt, freshly built and attached from the same
// config, and returns the progress. Throws std::runtime_error naming path for
// a missing or malformed file or one that does not fit this network and rule.
TrainProgress load_train_state(const std::string& path, Network& net, LearningRule& rule, Optimizer& opt);

// The name of the first weight or rule state tensor holding a NaN or an
// infinity ("fc1.weight"), or "" when all are finite.
std::string first_non_finite(Network& net, LearningRule& rule);

}  // namespace ml
