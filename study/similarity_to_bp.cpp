#include "study/similarity_to_bp.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include "analysis/bootstrap.h"
#include "analysis/matrix_io.h"
#include "base/atomic_file.h"
#include "study/layer_measures.h"
#include "study/pair_measures.h"

namespace ml {
namespace {

SimilarityRow row_of(int m, const std::vector<std::pair<const LayerView*, const LayerView*>>& pairs, int64_t n,
                     int draws, uint64_t seed) {
  const PairsMean p = mean_over_pairs(m, pairs, n, draws, seed);
  SimilarityRow row;
  row.measure = kLayerMeasures[m];
  row.n_pairs = static_cast<int>(pairs.size());
  row.value = p.value;
  row.ci_low = p.ci.low;
  row.ci_high = p.ci.high;
  return row;
}

SimilarityRow range_row_of(int m, const std::vector<std::pair<const LayerView*, const LayerView*>>& pairs) {
  const PairsRange p = range_over_pairs(m, pairs);
  SimilarityRow row;
  row.measure = kPairMeasures[m];
  row.n_pairs = p.defined;
  row.value = p.mean;
  row.ci_low = p.min;
  row.ci_high = p.max;
  row.interval = "pair_range";
  return row;
}

std::string csv_of(const std::vector<SimilarityRow>& rows) {
  std::ostringstream o;
  o.precision(8);
  o << "layer,measure,model,value,ci_low,ci_high,n_pairs,interval\n";
  for (const auto& r : rows)
    o << r.layer << ',' << r.measure << ',' << r.model << ',' << r.value << ',' << r.ci_low << ',' << r.ci_high << ','
      << r.n_pairs << ',' << r.interval << '\n';
  return o.str();
}

std::string fixed3(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return std::isfinite(v) ? buf : "-";
}

}  // namespace

const SimilarityRow* SimilarityToBp::find_to_bp(const std::string& layer, const std::string& measure,
                                                const std::string& model) const {
  for (const auto& r : to_bp)
    if (r.layer == layer && r.measure == measure && r.model == model) return &r;
  return nullptr;
}

const SimilarityRow* SimilarityToBp::ceiling(const std::string& layer, const std::string& measure) const {
  for (const auto& r : ceilings)
    if (r.layer == layer && r.measure == measure && r.model == "bp") return &r;
  return nullptr;
}

bool SimilarityToBp::differs(const SimilarityRow& row) const {
  const SimilarityRow* c = ceiling(row.layer, row.measure);
  if (!c) return false;
  // NaN compares false: no claim
  return pair_measure_is_distance(row.measure) ? row.ci_low > c->ci_high : row.ci_high < c->ci_low;
}

SimilarityToBp similarity_to_bp(const std::vector<RunData>& runs, const std::vector<std::string>& layers,
                                const std::string& dir, int draws, uint64_t seed) {
  SimilarityToBp out;
  out.draws = draws;
  std::vector<const RunData*> used;
  for (const auto& r : runs) {
    const bool has_all = has_layers(r, layers);
    if (has_all) used.push_back(&r);
  }
  std::vector<size_t> bp;
  std::vector<std::string> variants;
  for (size_t i = 0; i < used.size(); ++i) {
    if (used[i]->variant() == "bp") bp.push_back(i);
    if (std::find(variants.begin(), variants.end(), used[i]->variant()) == variants.end())
      variants.push_back(used[i]->variant());
  }
  out.bp_seeds = static_cast<int>(bp.size());
  if (bp.size() < 2 || layers.empty()) return out;
  out.layers = layers;
  out.measures.assign(std::begin(kLayerMeasures), std::end(kLayerMeasures));
  out.measures.insert(out.measures.end(), std::begin(kPairMeasures), std::end(kPairMeasures));
  const int64_t n = load_labels_npy(used.front()->acts().labels()).size();
  for (size_t li = 0; li < layers.size(); ++li) {
    const std::string& layer = layers[li];
    std::fprintf(stderr, "ml-study: similarity to bp, layer %s (%zu/%zu): %d measures, %zu runs\n", layer.c_str(),
                 li + 1, layers.size(), kLayerMeasureCount + kPairMeasureCount, used.size());
    std::vector<LayerView> views;
    for (const RunData* r : used) views.push_back(layer_view(r->acts().layer(layer), n, true));
    for (int m = 0; m < kLayerMeasureCount + kPairMeasureCount; ++m) {
      for (const auto& variant : variants) {
        std::vector<std::pair<const LayerView*, const LayerView*>> to_bp, own;
        for (size_t i = 0; i < used.size(); ++i) {
          if (used[i]->variant() != variant) continue;
          // Pairs of different seeds only, as in the ceiling: a rule's seed s starts from bp's seed-s weights.
          for (size_t j : bp)
            if (used[j]->seed != used[i]->seed) to_bp.push_back({&views[i], &views[j]});
          for (size_t j = i + 1; j < used.size(); ++j)
            if (used[j]->variant() == variant) own.push_back({&views[i], &views[j]});
        }
        auto measured = [&](const auto& pairs) {
          return m < kLayerMeasureCount ? row_of(m, pairs, n, draws, seed) : range_row_of(m - kLayerMeasureCount, pairs);
        };
        if (variant != "bp" && !to_bp.empty()) {
          out.to_bp.push_back(measured(to_bp));
          out.to_bp.back().layer = layer, out.to_bp.back().model = variant;
        }
        if (!own.empty()) {
          out.ceilings.push_back(measured(own));
          out.ceilings.back().layer = layer, out.ceilings.back().model = variant;
        }
      }
    }
  }
  write_text_atomically(dir + "/analysis/noise_ceiling.csv", csv_of(out.ceilings));
  write_text_atomically(dir + "/analysis/similarity_to_bp.csv", csv_of(out.to_bp));
  return out;
}

std::string similarity_measure_name(const std::string& measure) {
  if (measure == "debiased_cka") return "debiased CKA";
  if (measure == "linear_cka") return "biased linear CKA";
  if (measure == "rdm_spearman") return "RDM Spearman";
  if (measure == "procrustes") return "Procrustes distance";
  if (measure == "svcca") return "SVCCA";
  if (measure == "pwcca") return "PWCCA";
  if (measure == "cca_mean") return "mean CCA";
  if (measure == "knn") return "mutual 10-NN";
  return measure;
}

std::vector<MeasureDisagreement> measure_disagreements(const SimilarityToBp& s) {
  std::vector<MeasureDisagreement> out;
  for (const auto& r : s.to_bp) {
    if (!s.ceiling(r.layer, r.measure) || !std::isfinite(r.value)) continue;
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const MeasureDisagreement& d) { return d.layer == r.layer && d.model == r.model; });
    if (it == out.end()) it = out.insert(out.end(), {r.layer, r.model, {}, {}});
    (s.differs(r) ? it->differ : it->not_shown).push_back(r.measure);
  }
  std::erase_if(out, [](const MeasureDisagreement& d) { return d.differ.empty() || d.not_shown.empty(); });
  return out;
}

std::string similarity_sentence(const SimilarityToBp& s, const SimilarityRow& r) {
  const std::string name = similarity_measure_name(r.measure);
  const SimilarityRow* c = s.ceiling(r.layer, r.measure);
  std::string text = r.model + ", " + r.layer + ": " + name + " to bp " + fixed3(r.value) + " [" + fixed3(r.ci_low) +
                     ", " + fixed3(r.ci_high) + "], ";
  if (!c) return text + "no bp-seed ceiling to compare with.";
  const std::string ceiling = fixed3(c->value) + " [" + fixed3(c->ci_low) + ", " + fixed3(c->ci_high) + "]";
  if (s.differs(r))
    return text + (pair_measure_is_distance(r.measure) ? "above" : "below") + " the bp-seed ceiling " + ceiling +
           ": differs.";
  return text + "within reach of the bp-seed ceiling " + ceiling + ": not shown to differ.";
}

std::vector<std::string> similarity_sentences(const SimilarityToBp& s, const std::string& measure) {
  std::vector<std::string> out;
  for (const auto& r : s.to_bp)
    if (r.measure == measure && s.ceiling(r.layer, r.measure)) out.push_back(similarity_sentence(s, r));
  return out;
}

}  // namespace ml
