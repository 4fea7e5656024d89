// RDM comparisons: a rank example worked by hand, and Kendall's tau-a
// (the O(n log n) count) against the O(n^2) definition with many ties.
#include <cmath>
#include <random>

#include "analysis/rdm_compare.h"
#include "test_util.h"

using Catch::Matchers::Contains;

namespace {

double naive_tau_a(const std::vector<double>& a, const std::vector<double>& b) {
  const size_t n = a.size();
  double s = 0;
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) {
      const double da = (a[i] > a[j]) - (a[i] < a[j]), db = (b[i] > b[j]) - (b[i] < b[j]);
      s += da * db;
    }
  return s / (static_cast<double>(n) * static_cast<double>(n - 1) / 2);
}

}  // namespace

TEST_CASE("rdm compare: the hand-worked rank example x = [1,2,3,4], y = [1,1,2,3]", "[rsa]") {
  const std::vector<double> x = {1, 2, 3, 4}, y = {1, 1, 2, 3};
  // 6 pairs: 5 concordant, 1 tied in y (counted as neither) -> 5/6.
  CHECK(std::fabs(ml::kendall_tau_a(x, y) - 5.0 / 6.0) < 1e-12);
  CHECK(std::fabs(ml::kendall_tau_a(x, y) - 0.8333) < 1e-4);
  // Ranks of y: 1.5 1.5 3 4 -> r = 4.5 / sqrt(5 * 4.5).
  CHECK(std::fabs(ml::spearman_correlation(x, y) - 4.5 / std::sqrt(22.5)) < 1e-12);
  CHECK(std::fabs(ml::spearman_correlation(x, y) - 0.9487) < 1e-4);
  // rho-a: 1 - 6 * (0.25 + 0.25) / (64 - 4).
  CHECK(std::fabs(ml::rho_a(x, y) - 0.95) < 1e-12);
  CHECK(ml::average_ranks(y) == std::vector<double>{1.5, 1.5, 3, 4});
}

TEST_CASE("rdm compare: tau-a matches the pairwise definition with ties", "[rsa]") {
  std::mt19937 gen(3);
  std::uniform_int_distribution<int> small(0, 6);
  for (int trial = 0; trial < 5; ++trial) {
    std::vector<double> a(301), b(301);
    for (size_t i = 0; i < a.size(); ++i) a[i] = small(gen), b[i] = small(gen) + 0.5 * a[i];
    CHECK(std::fabs(ml::kendall_tau_a(a, b) - naive_tau_a(a, b)) < 1e-12);
  }
  const std::vector<double> up = {1, 2, 3, 4, 5}, down = {5, 4, 3, 2, 1};
  CHECK(ml::kendall_tau_a(up, down) == -1.0);
}

TEST_CASE("rdm compare: pearson, cosine, upper triangle", "[rsa]") {
  const std::vector<double> a = {1, 2, 3}, b = {2, 4, 6}, c = {3, 2, 1};
  CHECK(std::fabs(ml::pearson_correlation(a, b) - 1.0) < 1e-12);
  CHECK(std::fabs(ml::pearson_correlation(a, c) + 1.0) < 1e-12);
  CHECK(std::fabs(ml::cosine_similarity(a, c) - 10.0 / 14.0) < 1e-12);
  Eigen::MatrixXd m(3, 3);
  m << 0, 1, 2, 1, 0, 3, 2, 3, 0;
  CHECK(ml::upper_triangle(m) == std::vector<double>{1, 2, 3});
  Eigen::MatrixXd m2 = m;
  m2(0, 1) = m2(1, 0) = 5;  // order of (0,1) changes from smallest to largest
  CHECK(std::fabs(ml::compare_rdms(m, m2, ml::RdmComparison::spearman) - (-0.5)) < 1e-12);
  CHECK_THROWS_WITH(ml::compare_rdms(m, Eigen::MatrixXd::Zero(4, 4), ml::RdmComparison::pearson),
                    Contains("different sizes"));
  CHECK_THROWS_WITH(ml::parse_rdm_comparison("kendall"), Contains("kendall"));
}
