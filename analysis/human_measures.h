// Every measure of a model against people (analysis/human.h, analysis/human_rdm.h)
// with optional percentile bootstrap intervals over images (analysis/bootstrap.h),
// in one list, for ml-analyze human and the study.
//
// The RDM measures are over the first rdm_images images only: an RDM of N
// images has N(N - 1)/2 pairs, and at N = 10,000 each of the four RDMs (model,
// people, two halves of the people) holds 800 MB. They are bootstrapped by
// indexing the RDMs with the resample of those images (analysis/rdm_bootstrap.h);
// the ceiling's interval is the Spearman-Brown transform of the interval of the
// halves' r (the transform is increasing, so it maps percentiles to percentiles).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analysis/bootstrap.h"
#include "analysis/human.h"

namespace ml {

struct HumanOptions {
  int64_t rdm_images = 1000;  // the first this many images for the RDM measures; 0: all
  int bootstrap = 0;          // resamples; 0: no intervals
  uint64_t boot_seed = 1;     // the resamples (bootstrap_resample)
  uint64_t split_seed = 1;    // the split of each image's people into halves
};

struct HumanMeasure {
  std::string metric;
  double value = 0;
  std::optional<BootstrapInterval> ci;  // with HumanOptions::bootstrap > 0
};

struct HumanMeasures {
  int64_t images = 0, rdm_images = 0;  // rdm_images: 0 when the RDM measures were not computed (< 3 images)
  std::vector<HumanMeasure> measures;  // cross_entropy, human_majority_agreement, then those the inputs allow:
                                       // error_consistency (labels), error_consistency_ceiling (labels, counts),
                                       // confusion_correlation (labels), human_rdm_spearman,
                                       // human_rdm_ceiling (counts)
};

// in must pass check_human_inputs; throws std::invalid_argument for bootstrap < 0.
HumanMeasures measure_against_people(const HumanInputs& in, const HumanOptions& options);

}  // namespace ml
