// Question 2 with its uncertainty: per recorded layer and measure, every
// variant's similarity to bp (mean over its seeds x bp's other seeds: a pair
// never shares its initial weights, as two bp seeds never do) beside the
// noise ceiling, the same measure between two bp seeds (mean over bp's seed
// pairs). Each mean gets a 95% bootstrap interval over the probe images (the
// same resampled images for every run in a draw; analysis/bootstrap.h), from
// the N x N Gram and RDM by indexing. A variant differs from bp at a layer
// only where its interval lies wholly below the ceiling's.
//
// Measures: debiased linear CKA (Song et al.'s unbiased HSIC; the study's
// CKA), biased linear CKA (Kornblith et al. 2019; inflated when the features
// outnumber the probe images, kept for comparison) and the Spearman
// correlation of the correlation-distance RDMs (RSA), with bootstrap
// intervals; then the angular Procrustes distance, SVCCA, PWCCA, the mean
// canonical correlation and mutual kNN (study/pair_measures.h), whose
// interval is the range over the seed pairs.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "study/run_data.h"

namespace ml {

struct SimilarityRow {
  std::string layer, measure, model;  // model: the variant; for the ceiling rows the variant whose seeds are paired
  double value = 0, ci_low = 0, ci_high = 0;
  int n_pairs = 0;
  // "bootstrap95": ci_low/ci_high are the 95% bootstrap interval over the probe images (the CKAs, RSA);
  // "pair_range": the least and largest value over the pairs (study/pair_measures.h).
  std::string interval = "bootstrap95";
};

struct SimilarityToBp {
  std::vector<std::string> layers, measures;
  std::vector<SimilarityRow> to_bp;     // variant vs bp seeds
  std::vector<SimilarityRow> ceilings;  // bp vs bp (model "bp"), and each variant with 2+ seeds vs itself
  int draws = 0;
  int bp_seeds = 0;

  const SimilarityRow* find_to_bp(const std::string& layer, const std::string& measure, const std::string& model) const;
  const SimilarityRow* ceiling(const std::string& layer, const std::string& measure) const;  // bp's
  // True when the variant's interval lies wholly on the far side of bp's ceiling interval: below it for a
  // similarity, above it for a distance (procrustes).
  bool differs(const SimilarityRow& row) const;
};

// runs: every finished run; layers: the recorded layers to compare (the bp runs and the variants that have
// them all). Needs at least 2 bp runs with a learned conv1; else returns an empty result. Writes
// DIR/analysis/noise_ceiling.csv and DIR/analysis/similarity_to_bp.csv (tidy:
// layer,measure,model,value,ci_low,ci_high,n_pairs,interval). A line on stderr per layer: the
// pair measures take seconds a pair on conv maps.
SimilarityToBp similarity_to_bp(const std::vector<RunData>& runs, const std::vector<std::string>& layers,
                                const std::string& dir, int draws, uint64_t seed = 1);

// One sentence per variant and layer, from the numbers, e.g.
// "fa, relu3: debiased CKA to bp 0.71 [0.68, 0.74], below the bp-seed ceiling 0.93 [0.91, 0.95]: differs."
// A measure's name for people: "debiased CKA", "Procrustes distance", ...
std::string similarity_measure_name(const std::string& measure);

// Where the measures disagree: a variant and layer that some measures call different from bp and others do
// not (measures without a ceiling or value left out), in the order of s.to_bp.
struct MeasureDisagreement {
  std::string layer, model;
  std::vector<std::string> differ, not_shown;  // measure names (kLayerMeasures, kPairMeasures)
};
std::vector<MeasureDisagreement> measure_disagreements(const SimilarityToBp& s);

std::vector<std::string> similarity_sentences(const SimilarityToBp& s, const std::string& measure);
std::string similarity_sentence(const SimilarityToBp& s, const SimilarityRow& row);  // one of them

}  // namespace ml
