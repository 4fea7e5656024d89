// Eigen's AVX-512 kernels trip GCC 12's -Wmaybe-uninitialized inside avx512fintrin.h
// (a false positive in system code inlined into ours; see CMakeLists.txt).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "analysis/human_measures.h"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "analysis/human_rdm.h"
#include "analysis/rdm_bootstrap.h"
#include "analysis/rdm_compare.h"

namespace ml {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The Spearman r of two sets of probability rows' RDMs, with its interval when draws > 0.
HumanMeasure rdm_spearman(const std::string& metric, const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                          const HumanOptions& options) {
  HumanMeasure h{metric, kNaN, std::nullopt};
  if (options.bootstrap > 0) h.ci = BootstrapInterval{kNaN, kNaN, options.bootstrap};
  if (has_constant_row(x) || has_constant_row(y)) return h;  // the correlation distance is undefined
  const Eigen::MatrixXd a = probability_rdm(x), b = probability_rdm(y);
  if (constant_rdm(a) || constant_rdm(b)) return h;  // no Spearman r with a constant RDM
  h.value = compare_rdms(a, b, RdmComparison::spearman);
  if (options.bootstrap > 0)
    h.ci = bootstrap_rdm_comparison(a, b, RdmComparison::spearman, options.bootstrap, options.boot_seed);
  return h;
}

}  // namespace

HumanMeasures measure_against_people(const HumanInputs& in, const HumanOptions& options) {
  if (options.bootstrap < 0)
    throw std::invalid_argument("--bootstrap " + std::to_string(options.bootstrap) + ": needs at least 1 resample");
  const int64_t n = in.model.rows();
  const bool labels = !in.labels.empty(), counts = in.counts.size() > 0;
  const HumanTerms terms = human_terms(in);

  // The measures over all images: each a field of human_scores.
  std::vector<std::pair<std::string, double HumanScores::*>> fields = {
      {"cross_entropy", &HumanScores::cross_entropy}, {"human_majority_agreement", &HumanScores::agreement}};
  if (labels) fields.push_back({"error_consistency", &HumanScores::error_consistency});
  if (labels && counts) fields.push_back({"error_consistency_ceiling", &HumanScores::error_consistency_ceiling});
  if (labels) fields.push_back({"confusion_correlation", &HumanScores::confusion_correlation});
  std::vector<std::vector<double>> draws(fields.size());
  for (int b = 0; b < options.bootstrap; ++b) {
    const HumanScores s = human_scores(in, terms, bootstrap_resample(n, b, options.boot_seed));
    for (size_t k = 0; k < fields.size(); ++k) draws[k].push_back(s.*fields[k].second);
  }
  HumanMeasures out;
  out.images = n;
  const HumanScores whole = human_scores(in, terms, all_rows(n));
  for (size_t k = 0; k < fields.size(); ++k) {
    HumanMeasure h{fields[k].first, whole.*fields[k].second, std::nullopt};
    if (options.bootstrap > 0) {
      h.ci = percentile_interval(std::move(draws[k]));
      h.ci->draws = options.bootstrap;  // resamples drawn, NaNs included, as bootstrap() reports
    }
    out.measures.push_back(std::move(h));
  }

  // The RDM measures over the first m images.
  const int64_t m = options.rdm_images > 0 ? std::min(options.rdm_images, n) : n;
  if (m < 3) return out;
  out.rdm_images = m;
  out.measures.push_back(rdm_spearman("human_rdm_spearman", in.model.topRows(m), in.human.topRows(m), options));
  if (counts) {
    const auto [a, b] = split_half_counts(in.counts.topRows(m), options.split_seed);
    HumanMeasure h = rdm_spearman("human_rdm_ceiling", probabilities_from_counts(a), probabilities_from_counts(b), options);
    h.value = spearman_brown(h.value);
    if (h.ci) h.ci->low = spearman_brown(h.ci->low), h.ci->high = spearman_brown(h.ci->high);
    out.measures.push_back(std::move(h));
  }
  return out;
}

}  // namespace ml
