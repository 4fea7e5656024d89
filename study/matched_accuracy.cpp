#include "study/matched_accuracy.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "analysis/matrix_io.h"
#include "base/atomic_file.h"
#include "study/layer_measures.h"
#include "study/plan.h"

namespace ml {

const MatchedRow* MatchedAccuracy::find(const std::string& layer, const std::string& measure,
                                        const std::string& model) const {
  for (const auto& r : rows)
    if (r.layer == layer && r.measure == measure && r.model == model) return &r;
  return nullptr;
}

MatchedAccuracy matched_accuracy(const std::vector<RunData>& runs, const std::vector<std::string>& layers,
                                 const std::string& dir, int draws, uint64_t seed) {
  MatchedAccuracy out;
  out.draws = draws;
  const auto bp = std::find_if(runs.begin(), runs.end(), [](const RunData& r) {
    return r.variant() == "bp" && r.seed == kMatchedAccuracyBpSeed;
  });
  if (bp == runs.end() || layers.empty()) return out;
  const RunDir bp_dir(bp->dir);
  struct Snapshot {
    std::string label;
    double val_acc;
  };
  std::vector<Snapshot> snapshots;
  if (std::filesystem::exists(bp_dir.snapshots())) {
    const auto rows = read_csv(bp_dir.snapshots());
    for (size_t i = 1; i < rows.size(); ++i) {
      if (rows[i].size() < 5 || rows[i][4].empty()) continue;  // no validation figure
      if (!std::filesystem::exists(bp_dir.snapshot_acts(rows[i][0]).labels())) continue;  // not recorded
      snapshots.push_back({rows[i][0], std::stod(rows[i][4])});
    }
  }
  if (snapshots.empty()) return out;
  out.bp_run = bp->name;
  const int64_t n = load_labels_npy(bp_dir.snapshot_acts(snapshots.front().label).labels()).size();
  std::ostringstream csv;
  csv.precision(8);
  csv << "layer,measure,model,bp_snapshot,bp_val_acc,model_val_acc,value,ci_low,ci_high\n";
  for (const RunData& r : runs) {
    if (r.variant() == "bp" || r.seed != 1 || r.epochs.empty() || std::isnan(r.selected().val_acc)) continue;
    if (!std::all_of(layers.begin(), layers.end(), [&](const std::string& l) {
          return std::find(r.layers.begin(), r.layers.end(), l) != r.layers.end();
        }))
      continue;
    const double acc = r.selected().val_acc;
    const Snapshot& match = *std::min_element(snapshots.begin(), snapshots.end(), [&](const auto& a, const auto& b) {
      return std::abs(a.val_acc - acc) < std::abs(b.val_acc - acc);
    });
    for (const auto& layer : layers) {
      const LayerView mine = layer_view(r.acts().layer(layer), n);
      const LayerView theirs = layer_view(bp_dir.snapshot_acts(match.label).layer(layer), n);
      for (int m = 0; m < kLayerMeasureCount; ++m) {
        const PairsMean p = mean_over_pairs(m, {{&mine, &theirs}}, n, draws, seed);
        out.rows.push_back({layer, kLayerMeasures[m], r.variant(), match.label, match.val_acc, acc, p.value, p.ci.low,
                            p.ci.high});
        const MatchedRow& row = out.rows.back();
        csv << row.layer << ',' << row.measure << ',' << row.model << ',' << row.bp_snapshot << ',' << row.bp_val_acc
            << ',' << row.model_val_acc << ',' << row.value << ',' << row.ci_low << ',' << row.ci_high << '\n';
      }
    }
  }
  write_text_atomically(dir + "/analysis/matched_accuracy.csv", csv.str());
  return out;
}

}  // namespace ml
