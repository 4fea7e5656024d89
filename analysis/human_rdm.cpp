// Eigen's AVX-512 kernels trip GCC 12's -Wmaybe-uninitialized inside avx512fintrin.h
// (a false positive in system code inlined into ours; see CMakeLists.txt).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "analysis/human_rdm.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "analysis/rdm.h"
#include "analysis/rdm_compare.h"
#include "base/rng.h"

namespace ml {

Eigen::MatrixXd probabilities_from_counts(const Eigen::MatrixXd& counts) {
  Eigen::MatrixXd p = counts;
  for (Eigen::Index i = 0; i < p.rows(); ++i) {
    const double s = p.row(i).sum();
    if (!(s > 0)) throw std::invalid_argument("counts: row " + std::to_string(i) + " has no responses");
    p.row(i) /= s;
  }
  return p;
}

bool has_constant_row(const Eigen::MatrixXd& x) {
  for (Eigen::Index i = 0; i < x.rows(); ++i)
    if (x.row(i).maxCoeff() == x.row(i).minCoeff()) return true;
  return false;
}

Eigen::MatrixXd probability_rdm(const Eigen::MatrixXd& x) { return compute_rdm(x, RdmDistance::correlation); }

bool constant_rdm(const Eigen::MatrixXd& rdm) {
  return !comparison_undefined(upper_triangle(rdm), RdmComparison::spearman).empty();
}

double human_rdm_spearman(const Eigen::MatrixXd& model, const Eigen::MatrixXd& human) {
  if (model.rows() != human.rows() || model.rows() < 3)
    throw std::invalid_argument("human RDM: needs the same images (at least 3) on both sides, got " +
                                std::to_string(model.rows()) + " and " + std::to_string(human.rows()));
  if (has_constant_row(model) || has_constant_row(human)) return std::numeric_limits<double>::quiet_NaN();
  const Eigen::MatrixXd a = probability_rdm(model), b = probability_rdm(human);
  if (constant_rdm(a) || constant_rdm(b)) return std::numeric_limits<double>::quiet_NaN();
  return compare_rdms(a, b, RdmComparison::spearman);
}

std::pair<Eigen::MatrixXd, Eigen::MatrixXd> split_half_counts(const Eigen::MatrixXd& counts, uint64_t seed) {
  Eigen::MatrixXd a = Eigen::MatrixXd::Zero(counts.rows(), counts.cols()), b = a;
  std::vector<Eigen::Index> responses;
  for (Eigen::Index i = 0; i < counts.rows(); ++i) {
    responses.clear();
    for (Eigen::Index c = 0; c < counts.cols(); ++c)
      for (double k = 0; k < counts(i, c); ++k) responses.push_back(c);  // one entry per person
    if (responses.size() < 2)
      throw std::invalid_argument("counts: row " + std::to_string(i) + " has " + std::to_string(responses.size()) +
                                  " responses, a split into halves needs at least 2");
    Rng rng = Rng(seed).split(static_cast<uint64_t>(i) + 1);
    for (size_t k = responses.size() - 1; k > 0; --k)  // Fisher-Yates
      std::swap(responses[k], responses[static_cast<size_t>(rng.next_u64() % (k + 1))]);
    const size_t half = responses.size() / 2;
    for (size_t k = 0; k < responses.size(); ++k) (k < half ? a : b)(i, responses[k]) += 1;
  }
  return {a, b};
}

double spearman_brown(double r) { return 2 * r / (1 + r); }

double split_half_ceiling(const Eigen::MatrixXd& half_a, const Eigen::MatrixXd& half_b) {
  return spearman_brown(human_rdm_spearman(probabilities_from_counts(half_a), probabilities_from_counts(half_b)));
}

}  // namespace ml
