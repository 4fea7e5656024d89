// Do the rules converge to bp's representation over training, or drift away?
// Each run that saved and recorded snapshots (ml-study's --over-training: every
// rule's seed-1 run, bp's included) is compared at each snapshot with bp's
// final (validation-selected) recordings of the other seeds: debiased linear
// CKA per recorded layer, the mean over those bp seeds (never bp's seed 1, which
// starts from the run's initial weights), with a bootstrap interval over the
// probe images (the same resampled images for every pair in a draw).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "study/run_data.h"

namespace ml {

struct OverTrainingRow {
  std::string layer, model, snapshot;  // snapshot: ml-train's epoch label ("0.35", "2")
  double epoch = 0;                    // the label as a number
  double value = 0, ci_low = 0, ci_high = 0;
  int n_pairs = 0;
};

struct OverTraining {
  std::vector<std::string> layers;
  std::vector<OverTrainingRow> rows;  // per layer, run, snapshot in epoch order
  int draws = 0;
};

// Needs at least 2 bp runs among runs (a run's seed-s partner set leaves bp's seed s out); else empty.
// Writes DIR/analysis/over_training.csv (layer,measure,model,snapshot,epoch,value,ci_low,ci_high,n_pairs)
// when there is a row.
OverTraining similarity_over_training(const std::vector<RunData>& runs, const std::vector<std::string>& layers,
                                      const std::string& dir, int draws, uint64_t seed = 1);

}  // namespace ml
