// Eigen's AVX-512 kernels trip GCC 12's -Wmaybe-uninitialized inside avx512fintrin.h
// (a false positive in system code inlined into ours; see CMakeLists.txt).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "analysis/human.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "analysis/rdm_compare.h"

namespace ml {

namespace {

void require_distributions(const Eigen::MatrixXd& p, const char* what) {
  for (Eigen::Index i = 0; i < p.rows(); ++i) {
    if (p.row(i).minCoeff() < 0)
      throw std::invalid_argument(std::string(what) + ": row " + std::to_string(i) + " has a negative probability");
    const double s = p.row(i).sum();
    if (std::fabs(s - 1.0) > 1e-3)
      throw std::invalid_argument(std::string(what) + ": row " + std::to_string(i) + " sums to " + std::to_string(s) +
                                  ", not 1 (expected probabilities)");
  }
}

Eigen::Index argmax(const Eigen::RowVectorXd& r) {
  Eigen::Index best = 0;
  for (Eigen::Index c = 1; c < r.size(); ++c)
    if (r(c) > r(best)) best = c;
  return best;
}

}  // namespace

HumanComparison compare_with_humans(const Eigen::MatrixXd& model, const Eigen::MatrixXd& human,
                                    const std::vector<int64_t>& labels) {
  if (model.rows() != human.rows())
    throw std::invalid_argument("model has " + std::to_string(model.rows()) + " rows but the human data " +
                                std::to_string(human.rows()));
  if (model.cols() != human.cols())
    throw std::invalid_argument("model has " + std::to_string(model.cols()) + " classes but the human data " +
                                std::to_string(human.cols()));
  if (model.rows() < 1) throw std::invalid_argument("no images to compare");
  require_distributions(model, "model probabilities");
  require_distributions(human, "human probabilities");
  const Eigen::Index n = model.rows(), classes = model.cols();
  HumanComparison r;
  r.images = n;
  double ce = 0;
  int64_t agree = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index c = 0; c < classes; ++c)
      if (human(i, c) > 0) ce -= human(i, c) * std::log(std::max(model(i, c), 1e-12));
    agree += argmax(model.row(i)) == argmax(human.row(i));
  }
  r.cross_entropy = ce / static_cast<double>(n);
  r.agreement = static_cast<double>(agree) / static_cast<double>(n);
  r.confusion_correlation = std::numeric_limits<double>::quiet_NaN();
  if (labels.empty()) return r;
  if (static_cast<Eigen::Index>(labels.size()) != n)
    throw std::invalid_argument("labels: " + std::to_string(labels.size()) + " labels for " + std::to_string(n) +
                                " images");
  r.model_confusion = Eigen::MatrixXd::Zero(classes, classes);
  r.human_confusion = Eigen::MatrixXd::Zero(classes, classes);
  Eigen::VectorXd counts = Eigen::VectorXd::Zero(classes);
  for (Eigen::Index i = 0; i < n; ++i) {
    const int64_t t = labels[static_cast<size_t>(i)];
    if (t < 0 || t >= classes)
      throw std::invalid_argument("labels: row " + std::to_string(i) + " has class " + std::to_string(t) +
                                  ", outside [0, " + std::to_string(classes) + ")");
    r.model_confusion.row(t) += model.row(i);
    r.human_confusion.row(t) += human.row(i);
    counts(t) += 1;
  }
  std::vector<double> a, b;
  for (Eigen::Index t = 0; t < classes; ++t) {
    if (counts(t) == 0) continue;
    r.model_confusion.row(t) /= counts(t);
    r.human_confusion.row(t) /= counts(t);
    for (Eigen::Index c = 0; c < classes; ++c)
      if (c != t) a.push_back(r.model_confusion(t, c)), b.push_back(r.human_confusion(t, c));
  }
  if (a.size() >= 2) r.confusion_correlation = pearson_correlation(a, b);
  return r;
}

}  // namespace ml
