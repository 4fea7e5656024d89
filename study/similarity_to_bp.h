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
// correlation of the correlation-distance RDMs (RSA).
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
};

struct SimilarityToBp {
  std::vector<std::string> layers, measures;
  std::vector<SimilarityRow> to_bp;     // variant vs bp seeds
  std::vector<SimilarityRow> ceilings;  // bp vs bp (model "bp"), and each variant with 2+ seeds vs itself
  int draws = 0;
  int bp_seeds = 0;

  const SimilarityRow* find_to_bp(const std::string& layer, const std::string& measure, const std::string& model) const;
  const SimilarityRow* ceiling(const std::string& layer, const std::string& measure) const;  // bp's
  // True when the variant's interval lies wholly below bp's ceiling interval.
  bool differs(const SimilarityRow& row) const;
};

// runs: every finished run; layers: the recorded layers to compare (the bp runs and the variants that have
// them all). Needs at least 2 bp runs with a learned conv1; else returns an empty result. Writes
// DIR/analysis/noise_ceiling.csv and DIR/analysis/similarity_to_bp.csv (tidy:
// layer,measure,model,value,ci_low,ci_high,n_pairs).
SimilarityToBp similarity_to_bp(const std::vector<RunData>& runs, const std::vector<std::string>& layers,
                                const std::string& dir, int draws, uint64_t seed = 1);

// One sentence per variant and layer, from the numbers, e.g.
// "fa, relu3: debiased CKA to bp 0.71 [0.68, 0.74], below the bp-seed ceiling 0.93 [0.91, 0.95]: differs."
std::vector<std::string> similarity_sentences(const SimilarityToBp& s, const std::string& measure);
std::string similarity_sentence(const SimilarityToBp& s, const SimilarityRow& row);  // one of them

}  // namespace ml
