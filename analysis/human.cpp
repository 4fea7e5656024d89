// Eigen's AVX-512 kernels trip GCC 12's -Wmaybe-uninitialized inside avx512fintrin.h
// (a false positive in system code inlined into ours; see CMakeLists.txt).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "analysis/human.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "analysis/error_consistency.h"
#include "analysis/rdm_compare.h"

namespace ml {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::invalid_argument bad(const std::string& what, Eigen::Index row, const std::string& why) {
  return std::invalid_argument(what + ": row " + std::to_string(row) + " " + why);
}

void require_shape(const Eigen::MatrixXd& m, const std::string& what, const HumanInputs& in,
                   const HumanInputNames& names) {
  if (m.rows() != in.model.rows())
    throw std::invalid_argument(what + " has " + std::to_string(m.rows()) + " rows but " + names.model + " has " +
                                std::to_string(in.model.rows()));
  if (m.cols() != in.model.cols())
    throw std::invalid_argument(what + " has " + std::to_string(m.cols()) + " classes but " + names.model +
                                " has " + std::to_string(in.model.cols()));
}

void require_distributions(const Eigen::MatrixXd& p, const std::string& what) {
  for (Eigen::Index i = 0; i < p.rows(); ++i) {
    if (!p.row(i).allFinite()) throw bad(what, i, "has a value that is not finite (NaN or Inf)");
    if (p.row(i).minCoeff() < 0) throw bad(what, i, "has a negative probability");
    const double s = p.row(i).sum();
    if (std::fabs(s - 1.0) > 1e-3) throw bad(what, i, "sums to " + std::to_string(s) + ", not 1 (expected probabilities)");
  }
}

void require_counts(const Eigen::MatrixXd& k, const std::string& what) {
  for (Eigen::Index i = 0; i < k.rows(); ++i) {
    for (Eigen::Index c = 0; c < k.cols(); ++c)
      if (!std::isfinite(k(i, c)) || k(i, c) < 0 || k(i, c) != std::floor(k(i, c)))
        throw bad(what, i, "column " + std::to_string(c) + " is " + std::to_string(k(i, c)) +
                               ", not a count of people");
    const double n = k.row(i).sum();
    if (n < 2) throw bad(what, i, "has " + std::to_string(static_cast<long long>(n)) +
                                      " responses; the measures between people need at least 2 per image");
  }
}

Eigen::Index argmax(const Eigen::RowVectorXd& r) {  // the lowest index among ties, as numpy
  Eigen::Index best = 0;
  for (Eigen::Index c = 1; c < r.size(); ++c)
    if (r(c) > r(best)) best = c;
  return best;
}

double mean_over(const std::vector<double>& v, const std::vector<int64_t>& rows) {
  double s = 0;
  for (int64_t i : rows) s += v[static_cast<size_t>(i)];
  return s / static_cast<double>(rows.size());
}

std::vector<double> pick(const std::vector<double>& v, const std::vector<int64_t>& rows) {
  std::vector<double> out(rows.size());
  for (size_t k = 0; k < rows.size(); ++k) out[k] = v[static_cast<size_t>(rows[k])];
  return out;
}

}  // namespace

void check_human_inputs(const HumanInputs& in, const HumanInputNames& names) {
  if (in.model.rows() < 1) throw std::invalid_argument(names.model + ": no images to compare");
  require_shape(in.human, names.human, in, names);
  require_distributions(in.model, names.model);
  require_distributions(in.human, names.human);
  if (in.counts.size() > 0) {
    require_shape(in.counts, names.counts, in, names);
    require_counts(in.counts, names.counts);
  }
  if (in.labels.empty()) return;
  if (static_cast<Eigen::Index>(in.labels.size()) != in.model.rows())
    throw std::invalid_argument(names.labels + " has " + std::to_string(in.labels.size()) + " labels but " +
                                names.model + " has " + std::to_string(in.model.rows()) + " rows");
  for (size_t i = 0; i < in.labels.size(); ++i)
    if (in.labels[i] < 0 || in.labels[i] >= in.model.cols())
      throw bad(names.labels, static_cast<Eigen::Index>(i),
                "has class " + std::to_string(in.labels[i]) + ", outside [0, " + std::to_string(in.model.cols()) + ")");
}

HumanTerms human_terms(const HumanInputs& in) {
  const Eigen::Index n = in.model.rows(), classes = in.model.cols();
  const bool counts = in.counts.size() > 0, labels = !in.labels.empty();
  HumanTerms t;
  t.cross_entropy.resize(n);
  t.agreement.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    double ce = 0;
    for (Eigen::Index c = 0; c < classes; ++c)
      if (in.human(i, c) > 0) ce -= in.human(i, c) * std::log(std::max(in.model(i, c), 1e-12));
    t.cross_entropy[i] = ce;
    const Eigen::Index majority = argmax(counts ? in.counts.row(i) : in.human.row(i));
    t.agreement[i] = argmax(in.model.row(i)) == majority ? 1.0 : 0.0;
  }
  if (!labels) return t;
  t.correct.resize(n);
  t.people_correct.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const int64_t label = in.labels[static_cast<size_t>(i)];
    t.correct[i] = argmax(in.model.row(i)) == label ? 1.0 : 0.0;
    t.people_correct[i] = counts ? in.counts(i, label) / in.counts.row(i).sum() : in.human(i, label);
  }
  if (!counts) return t;
  t.right.resize(n);
  t.people.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    t.right[i] = in.counts(i, in.labels[static_cast<size_t>(i)]);
    t.people[i] = in.counts.row(i).sum();
  }
  return t;
}

SoftConfusion soft_confusion(const HumanInputs& in, const std::vector<int64_t>& rows) {
  const Eigen::Index classes = in.model.cols();
  SoftConfusion r;
  r.model = Eigen::MatrixXd::Zero(classes, classes);
  r.human = Eigen::MatrixXd::Zero(classes, classes);
  Eigen::VectorXd images = Eigen::VectorXd::Zero(classes);
  for (int64_t i : rows) {
    const int64_t t = in.labels[static_cast<size_t>(i)];
    r.model.row(t) += in.model.row(i);
    r.human.row(t) += in.human.row(i);
    images(t) += 1;
  }
  std::vector<double> a, b;
  for (Eigen::Index t = 0; t < classes; ++t) {
    if (images(t) == 0) continue;
    r.model.row(t) /= images(t);
    r.human.row(t) /= images(t);
    for (Eigen::Index c = 0; c < classes; ++c)
      if (c != t) a.push_back(r.model(t, c)), b.push_back(r.human(t, c));
  }
  r.correlation = a.size() >= 2 ? pearson_correlation(a, b) : kNaN;
  return r;
}

HumanScores human_scores(const HumanInputs& in, const HumanTerms& terms, const std::vector<int64_t>& rows) {
  if (rows.empty()) throw std::invalid_argument("human measures: no images");
  HumanScores s;
  s.cross_entropy = mean_over(terms.cross_entropy, rows);
  s.agreement = mean_over(terms.agreement, rows);
  s.error_consistency = s.error_consistency_ceiling = s.confusion_correlation = kNaN;
  if (terms.correct.empty()) return s;
  s.error_consistency = error_consistency(pick(terms.correct, rows), pick(terms.people_correct, rows));
  if (!terms.right.empty()) s.error_consistency_ceiling = error_consistency_ceiling(pick(terms.right, rows), pick(terms.people, rows));
  s.confusion_correlation = soft_confusion(in, rows).correlation;
  return s;
}

std::vector<int64_t> all_rows(int64_t n) {
  std::vector<int64_t> rows(static_cast<size_t>(n));
  std::iota(rows.begin(), rows.end(), int64_t{0});
  return rows;
}

HumanComparison compare_with_humans(const Eigen::MatrixXd& model, const Eigen::MatrixXd& human,
                                    const std::vector<int64_t>& labels) {
  const HumanInputs in{model, human, {}, labels};
  check_human_inputs(in);
  const std::vector<int64_t> rows = all_rows(model.rows());
  const HumanScores s = human_scores(in, human_terms(in), rows);
  HumanComparison r;
  r.images = model.rows();
  r.cross_entropy = s.cross_entropy;
  r.agreement = s.agreement;
  r.confusion_correlation = kNaN;
  if (labels.empty()) return r;
  const SoftConfusion c = soft_confusion(in, rows);
  r.confusion_correlation = c.correlation;
  r.model_confusion = c.model;
  r.human_confusion = c.human;
  return r;
}

}  // namespace ml
