#include "study/pair_measures.h"

#include <algorithm>
#include <cmath>
#include <limits>
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

PairsRange range_over_pairs(int m, const std::vector<std::pair<const LayerView*, const LayerView*>>& pairs) {
  std::vector<double> values(pairs.size());
#pragma omp parallel for schedule(dynamic)
  for (size_t k = 0; k < pairs.size(); ++k) values[k] = pair_measure(m, pairs[k].first->features, pairs[k].second->features);
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
