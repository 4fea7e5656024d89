// Where a run stands, as its training state keeps it (training/train_state.h):
// the position (epoch, batch), the epoch's sums so far, and the rows of
// metrics.csv, alignment.csv and snapshots.csv written so far. Apart from the
// network so that the state's checks (training/train_state_check.h) and its
// fuzz target need nothing of the engine but the safetensors reader.
#pragma once
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "rules/alignment.h"

namespace ml {

struct EpochMetrics {
  int epoch = 0;
  double train_loss = 0, train_acc = 0, test_loss = 0, test_acc = 0;
  double seconds = 0, samples_per_s = 0;
  // On the validation split (--val); NaN when the run holds none out.
  double val_loss = std::numeric_limits<double>::quiet_NaN(), val_acc = std::numeric_limits<double>::quiet_NaN();
};

// The epoch a run is reported at: the first with the best val_acc; without a validation split, the last.
// history must not be empty. One rule for ml-train (model_best) and ml-study (reading metrics.csv back):
// any row type with epoch and val_acc.
template <class Row>
const Row& val_selected(const std::vector<Row>& history) {
  const Row* best = &history.back();
  if (std::isnan(best->val_acc)) return *best;
  for (const Row& m : history)
    if (m.val_acc > best->val_acc || (m.val_acc == best->val_acc && m.epoch < best->epoch)) best = &m;
  return *best;
}

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

// The progress as JSON (the state's "progress" metadata entry gets these keys, next to the rule's).
void progress_to_json(const TrainProgress& p, nlohmann::json& j);
// Reads what progress_to_json wrote; throws (nlohmann's or std::invalid_argument) on a missing key or a bad value.
TrainProgress progress_from_json(const nlohmann::json& j);

// JSON has no NaN or infinity (nlohmann writes null): they travel as "nan", "inf", "-inf".
nlohmann::json encode_double(double v);
double decode_double(const nlohmann::json& j);

}  // namespace ml
