// Bootstrap RDM comparisons (analysis/rdm_bootstrap.h): each resample's weighted
// computation against compare_vectors on the resampled upper triangle written out
// (self-pairs of a duplicated image dropped), for every measure, with and without
// tied dissimilarities; then an RDM against itself gives [1, 1].
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "analysis/bootstrap.h"
#include "analysis/rdm_bootstrap.h"
#include "analysis/rdm_compare.h"
#include "analysis_test_util.h"
#include "test_util.h"

using ml_test::randn;

namespace {

// Euclidean distances between the rows of x, by plain loops; rounded to `step` when > 0 (ties).
Eigen::MatrixXd distances(const Eigen::MatrixXd& x, double step = 0) {
  const Eigen::Index n = x.rows();
  Eigen::MatrixXd d = Eigen::MatrixXd::Zero(n, n);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < n; ++j) {
      double s = 0;
      for (Eigen::Index f = 0; f < x.cols(); ++f) s += (x(i, f) - x(j, f)) * (x(i, f) - x(j, f));
      d(i, j) = step > 0 ? std::round(std::sqrt(s) / step) * step : std::sqrt(s);
    }
  return d;
}

// The resampled RDM's upper triangle, written out: m[idx_i][idx_j] for i < j, self-pairs left out.
std::vector<double> resampled_upper(const Eigen::MatrixXd& m, const std::vector<int64_t>& idx) {
  std::vector<double> v;
  for (size_t i = 0; i < idx.size(); ++i)
    for (size_t j = i + 1; j < idx.size(); ++j)
      if (idx[i] != idx[j]) v.push_back(m(idx[i], idx[j]));
  return v;
}

const ml::RdmComparison kAll[] = {ml::RdmComparison::spearman, ml::RdmComparison::pearson,
                                  ml::RdmComparison::kendall_tau_a, ml::RdmComparison::rho_a,
                                  ml::RdmComparison::cosine};

}  // namespace

TEST_CASE("bootstrap rdm: a resample's comparison equals compare_vectors on its written-out pairs",
          "[rdm][bootstrap]") {
  const Eigen::MatrixXd x = randn(14, 3, 61);
  const Eigen::MatrixXd y = x + 0.8 * randn(14, 3, 62);
  for (const double step : {0.0, 0.5}) {  // 0.5: many tied dissimilarities
    const Eigen::MatrixXd a = distances(x, step), b = distances(y, step);
    for (const auto method : kAll)
      for (int r = 0; r < 4; ++r) {
        INFO(ml::rdm_comparison_name(method) << ", step " << step << ", resample " << r);
        const std::vector<int64_t> idx = ml::bootstrap_resample(14, r, 2);
        const double want = ml::compare_vectors(resampled_upper(a, idx), resampled_upper(b, idx), method);
        const double got = ml::resampled_rdm_comparison(a, b, method, idx);
        if (method == ml::RdmComparison::kendall_tau_a)
          CHECK(got == want);  // the same integers
        else
          CHECK(std::fabs(got - want) < 1e-9);
      }
  }
}

TEST_CASE("bootstrap rdm: an RDM against itself gives [1, 1]", "[rdm][bootstrap]") {
  const Eigen::MatrixXd a = distances(randn(40, 5, 71));
  for (const auto method : {ml::RdmComparison::spearman, ml::RdmComparison::pearson, ml::RdmComparison::rho_a,
                            ml::RdmComparison::cosine}) {
    INFO(ml::rdm_comparison_name(method));
    const ml::BootstrapInterval ci = ml::bootstrap_rdm_comparison(a, a, method, 100, 1);
    CHECK(std::fabs(ci.low - 1) < 1e-12);
    CHECK(std::fabs(ci.high - 1) < 1e-12);
    CHECK(ci.draws == 100);
  }
}

TEST_CASE("bootstrap rdm: an interval around the comparison, the same on 1 and 2 threads", "[rdm][bootstrap]") {
  const Eigen::MatrixXd x = randn(60, 4, 81);
  const Eigen::MatrixXd a = distances(x), b = distances(x + randn(60, 4, 82));
  const double point = ml::compare_rdms(a, b, ml::RdmComparison::spearman);
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const ml::BootstrapInterval one = ml::bootstrap_rdm_comparison(a, b, ml::RdmComparison::spearman, 200, 3);
  omp_set_num_threads(2);
  const ml::BootstrapInterval two = ml::bootstrap_rdm_comparison(a, b, ml::RdmComparison::spearman, 200, 3);
  omp_set_num_threads(threads);
  INFO("point " << point << ", [" << one.low << ", " << one.high << "]");
  CHECK(one.low == two.low);
  CHECK(one.high == two.high);
  CHECK(one.low < point);
  CHECK(one.high > point);
  CHECK_THROWS_AS(ml::bootstrap_rdm_comparison(a, b, ml::RdmComparison::spearman, 0, 3), std::invalid_argument);
  std::vector<int64_t> out_of_range(60, 0);
  out_of_range[5] = 60;
  CHECK_THROWS_AS(ml::resampled_rdm_comparison(a, b, ml::RdmComparison::pearson, out_of_range), std::invalid_argument);
}
