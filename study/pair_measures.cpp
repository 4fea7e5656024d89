#include "study/pair_measures.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>

#include "analysis/cca.h"
#include "analysis/knn_overlap.h"
#include "analysis/procrustes.h"

namespace ml {

bool pair_measure_is_distance(const std::string& measure) { return measure == "procrustes"; }

double pair_measure(int m, const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  try {
    switch (m) {
      case 0: return procrustes_distance(a, b).distance;
      case 1: return cca_similarity(a, b, CcaMethod::svcca).value;
      case 2: return cca_similarity(a, b, CcaMethod::pwcca).value;
      case 3: return cca_similarity(a, b, CcaMethod::mean).value;
      case 4: return mutual_knn(a, b, kPairMeasureKnnK);
      default: throw std::logic_error("pair_measure: no measure " + std::to_string(m));
    }
  } catch (const std::invalid_argument&) {
    return std::numeric_limits<double>::quiet_NaN();  // no variance on a side, or too few images
  }
}

namespace {

// Measure m is one of the CCAs: which.
std::optional<CcaMethod> cca_method_of(int m) {
  switch (m) {
    case 1: return CcaMethod::svcca;
    case 2: return CcaMethod::pwcca;
    case 3: return CcaMethod::mean;
    default: return std::nullopt;
  }
}

// A CCA measure over the pairs with each layer's basis computed once (an SVD of up to N x (N - 1) per layer),
// not once per pair it enters: pair_measure's numbers (to rounding: Eigen's products inside the parallel loop
// run on one thread).
std::vector<double> cca_over_pairs(CcaMethod method,
                                   const std::vector<std::pair<const LayerView*, const LayerView*>>& pairs) {
  std::map<const LayerView*, size_t> index;
  std::vector<const LayerView*> views;
  for (const auto& [a, b] : pairs)
    for (const LayerView* v : {a, b})
      if (index.emplace(v, views.size()).second) views.push_back(v);
  std::vector<std::optional<CcaSide>> sides(views.size());
#pragma omp parallel for schedule(dynamic)
  for (size_t v = 0; v < views.size(); ++v) {
    try {
      sides[v] = cca_side(views[v]->features, method);
    } catch (const std::invalid_argument&) {
      // no variance, or too few images: every pair with it is undefined
    }
  }
  std::vector<double> values(pairs.size(), std::numeric_limits<double>::quiet_NaN());
#pragma omp parallel for schedule(dynamic)
  for (size_t k = 0; k < pairs.size(); ++k) {
    const auto& a = sides[index.at(pairs[k].first)];
    const auto& b = sides[index.at(pairs[k].second)];
    if (!a || !b) continue;
    try {
      values[k] = cca_similarity(*a, *b).value;
    } catch (const std::invalid_argument&) {
    }
  }
  return values;
}

}  // namespace

PairsRange range_over_pairs(int m, const std::vector<std::pair<const LayerView*, const LayerView*>>& pairs) {
  std::vector<double> values(pairs.size());
  if (const auto method = cca_method_of(m)) {
    values = cca_over_pairs(*method, pairs);
  } else {
#pragma omp parallel for schedule(dynamic)
    for (size_t k = 0; k < pairs.size(); ++k)
      values[k] = pair_measure(m, pairs[k].first->features, pairs[k].second->features);
  }
  PairsRange out;
  out.min = std::numeric_limits<double>::infinity();
  out.max = -out.min;
  double sum = 0;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    sum += v, ++out.defined;
    out.min = std::min(out.min, v), out.max = std::max(out.max, v);
  }
  if (out.defined == 0) out.mean = out.min = out.max = std::numeric_limits<double>::quiet_NaN();
  else out.mean = sum / out.defined;
  return out;
}

}  // namespace ml
