// "Learned different features" or only "learned less"? Every variant's run
// (seed 1) compared with bp's snapshot whose validation accuracy is closest to
// the run's own (bp's seed-2 run saves and records snapshots over training,
// study/plan.h), next to bp fully trained: a rule that is merely less trained
// looks like early bp here.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "study/run_data.h"

namespace ml {

struct MatchedRow {
  std::string layer, measure, model;
  std::string bp_snapshot;  // the epoch label ("0.35")
  double bp_val_acc = 0, model_val_acc = 0;
  double value = 0, ci_low = 0, ci_high = 0;
};

struct MatchedAccuracy {
  std::string bp_run;  // empty: no recorded bp snapshots, nothing compared
  int draws = 0;
  std::vector<MatchedRow> rows;
  const MatchedRow* find(const std::string& layer, const std::string& measure, const std::string& model) const;
};

// Writes DIR/analysis/matched_accuracy.csv
// (layer,measure,model,bp_snapshot,bp_val_acc,model_val_acc,value,ci_low,ci_high) when there is something to compare.
MatchedAccuracy matched_accuracy(const std::vector<RunData>& runs, const std::vector<std::string>& layers,
                                 const std::string& dir, int draws, uint64_t seed = 1);

}  // namespace ml
