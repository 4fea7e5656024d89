#include "study/over_training.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "analysis/matrix_io.h"
#include "base/atomic_file.h"
#include "study/layer_measures.h"

namespace ml {
namespace {

struct Snapshot {
  std::string label;
  double epoch;
};

// The run's recorded snapshots in epoch order (those whose recording a diverged run never made left out).
std::vector<Snapshot> recorded_snapshots(const RunData& r) {
  const RunDir run(r.dir);
  std::vector<Snapshot> out;
  if (!std::filesystem::exists(run.snapshots())) return out;
  const auto rows = read_csv(run.snapshots());
  for (size_t i = 1; i < rows.size(); ++i) {
    if (rows[i].empty() || !std::filesystem::exists(run.snapshot_acts(rows[i][0]).labels())) continue;
    try {
      out.push_back({rows[i][0], std::stod(rows[i][0])});
    } catch (const std::exception&) {
      throw std::runtime_error(run.snapshots() + ": row " + std::to_string(i + 1) + ": label '" + rows[i][0] +
                               "' is not an epoch");
    }
  }
  std::sort(out.begin(), out.end(), [](const Snapshot& a, const Snapshot& b) { return a.epoch < b.epoch; });
  return out;
}

}  // namespace

OverTraining similarity_over_training(const std::vector<RunData>& runs, const std::vector<std::string>& layers,
                                      const std::string& dir, int draws, uint64_t seed) {
  OverTraining out;
  out.draws = draws;
  std::vector<const RunData*> bp, tracked;
  std::vector<std::vector<Snapshot>> snapshots;
  for (const auto& r : runs) {
    const bool has_all = has_layers(r, layers);
    if (!has_all) continue;
    if (r.variant() == "bp") bp.push_back(&r);
    // bp's matched-accuracy run (seed 2) has snapshots of its own purpose; over training follows seed 1.
    if (r.seed != 1) continue;
    auto s = recorded_snapshots(r);
    if (s.empty()) continue;
    tracked.push_back(&r);
    snapshots.push_back(std::move(s));
  }
  if (bp.size() < 2 || tracked.empty() || layers.empty()) return out;
  out.layers = layers;
  const int64_t n = load_labels_npy(bp.front()->acts().labels()).size();
  std::ostringstream csv;
  csv.precision(8);
  csv << "layer,measure,model,snapshot,epoch,value,ci_low,ci_high,n_pairs\n";
  for (size_t li = 0; li < layers.size(); ++li) {
    const std::string& layer = layers[li];
    std::fprintf(stderr, "ml-study: similarity over training, layer %s (%zu/%zu): %zu runs\n", layer.c_str(), li + 1,
                 layers.size(), tracked.size());
    std::vector<LayerView> finals;
    for (const RunData* b : bp) finals.push_back(layer_view(b->acts().layer(layer), n));
    for (size_t t = 0; t < tracked.size(); ++t) {
      const RunData& r = *tracked[t];
      for (const Snapshot& s : snapshots[t]) {
        const LayerView view = layer_view(RunDir(r.dir).snapshot_acts(s.label).layer(layer), n);
        std::vector<std::pair<const LayerView*, const LayerView*>> pairs;
        for (size_t b = 0; b < bp.size(); ++b)
          if (bp[b]->seed != r.seed) pairs.push_back({&view, &finals[b]});
        if (pairs.empty()) continue;
        const PairsMean p = mean_over_pairs(0, pairs, n, draws, seed);  // 0: debiased CKA
        out.rows.push_back({layer, r.variant(), s.label, s.epoch, p.value, p.ci.low, p.ci.high,
                            static_cast<int>(pairs.size())});
        const OverTrainingRow& row = out.rows.back();
        csv << row.layer << ",debiased_cka," << row.model << ',' << row.snapshot << ',' << row.epoch << ','
            << row.value << ',' << row.ci_low << ',' << row.ci_high << ',' << row.n_pairs << '\n';
      }
    }
  }
  if (!out.rows.empty()) write_text_atomically(dir + "/analysis/over_training.csv", csv.str());
  return out;
}

}  // namespace ml
