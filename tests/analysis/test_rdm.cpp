// RDMs against rsatoolbox's definitions written out as plain loops, and the
// small worked examples computed by hand.
// Eigen's AVX-512 kernels trip GCC 12's -Wmaybe-uninitialized inside avx512fintrin.h
// (a false positive in system code inlined into ours; see CMakeLists.txt).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <cmath>

#include "analysis/rdm.h"
#include "analysis_test_util.h"
#include "test_util.h"

using Catch::Matchers::Contains;

namespace {

// The naive oracle: one pair at a time, straight from the definitions.
double naive_distance(const Eigen::MatrixXd& x, Eigen::Index i, Eigen::Index j, ml::RdmDistance d) {
  const Eigen::Index f = x.cols();
  if (d == ml::RdmDistance::euclidean) {
    double s = 0;
    for (Eigen::Index k = 0; k < f; ++k) s += (x(i, k) - x(j, k)) * (x(i, k) - x(j, k));
    return s / static_cast<double>(f);
  }
  double mi = 0, mj = 0;
  if (d == ml::RdmDistance::correlation) {
    for (Eigen::Index k = 0; k < f; ++k) mi += x(i, k), mj += x(j, k);
    mi /= static_cast<double>(f), mj /= static_cast<double>(f);
  }
  double ab = 0, aa = 0, bb = 0;
  for (Eigen::Index k = 0; k < f; ++k) {
    const double a = x(i, k) - mi, b = x(j, k) - mj;
    ab += a * b, aa += a * a, bb += b * b;
  }
  return 1.0 - ab / std::sqrt(aa * bb);
}

}  // namespace

TEST_CASE("rdm: the worked example rows [[1,2],[1,2],[4,3],[4,3]]", "[rdm]") {
  Eigen::MatrixXd x(4, 2);
  x << 1, 2, 1, 2, 4, 3, 4, 3;
  // Correlation distance: [1,2] and [4,3] are perfectly anti-correlated -> 2.
  Eigen::MatrixXd want(4, 4);
  want << 0, 0, 2, 2, 0, 0, 2, 2, 2, 2, 0, 0, 2, 2, 0, 0;
  CHECK((ml::compute_rdm(x, ml::RdmDistance::correlation) - want).cwiseAbs().maxCoeff() < 1e-12);
  // rsatoolbox's euclidean: ((4-1)^2 + (3-2)^2) / 2 features = 5.
  CHECK((ml::compute_rdm(x, ml::RdmDistance::euclidean) - 2.5 * want).cwiseAbs().maxCoeff() < 1e-12);
  // Cosine: 1 - (4 + 6) / (sqrt(5) sqrt(25)).
  const Eigen::MatrixXd c = ml::compute_rdm(x, ml::RdmDistance::cosine);
  CHECK(std::fabs(c(0, 2) - (1.0 - 10.0 / std::sqrt(125.0))) < 1e-12);
  CHECK(std::fabs(c(0, 1)) < 1e-12);  // identical rows; rounding leaves ~1e-16
}

TEST_CASE("rdm: every distance matches the naive loop on random data", "[rdm]") {
  // 900 rows: more than two of row_gram's blocks, with a ragged last block.
  const Eigen::MatrixXd x = ml_test::randn(900, 17, 5).array() + 3.0;
  for (auto d : {ml::RdmDistance::correlation, ml::RdmDistance::euclidean, ml::RdmDistance::cosine}) {
    INFO(ml::rdm_distance_name(d));
    const Eigen::MatrixXd r = ml::compute_rdm(x, d);
    REQUIRE(r.rows() == 900);
    REQUIRE(r.cols() == 900);
    double worst = 0;
    for (Eigen::Index i = 0; i < 900; i += 7)
      for (Eigen::Index j = 0; j < 900; j += 5)
        worst = std::max(worst, std::fabs(r(i, j) - (i == j ? 0.0 : naive_distance(x, i, j, d))));
    CHECK(worst < 1e-12);
    CHECK((r - r.transpose()).cwiseAbs().maxCoeff() == 0.0);
    CHECK(r.diagonal().cwiseAbs().maxCoeff() == 0.0);
    CHECK(r.minCoeff() >= 0.0);
  }
}

TEST_CASE("rdm: mixed precision (float32 products over 128-feature blocks, double sums) stays within 1e-6", "[rdm]") {
  // 700 rows x 300 features: ragged row tiles and a ragged last feature block.
  const Eigen::MatrixXd x = ml_test::randn(700, 300, 9).cwiseMax(0.0) + 0.01 * ml_test::randn(700, 300, 10);
  for (auto d : {ml::RdmDistance::correlation, ml::RdmDistance::cosine, ml::RdmDistance::euclidean}) {
    INFO(ml::rdm_distance_name(d));
    const Eigen::MatrixXd exact = ml::compute_rdm(x, d), fast = ml::compute_rdm(x, d, true);
    // euclidean: relative to the scale of the squared distances (its error is relative)
    const double scale = d == ml::RdmDistance::euclidean ? exact.maxCoeff() : 1.0;
    const double worst = (fast - exact).cwiseAbs().maxCoeff() / scale;
    CHECK(worst < 1e-6);
    CHECK(worst > 0.0);  // it really took the float path
    CHECK((fast - fast.transpose()).cwiseAbs().maxCoeff() == 0.0);
    CHECK(fast.diagonal().cwiseAbs().maxCoeff() == 0.0);
    CHECK(fast.minCoeff() >= 0.0);
  }
}

TEST_CASE("rdm: identical rows give exactly 0, never a negative distance", "[rdm]") {
  Eigen::MatrixXd x = ml_test::randn(5, 300, 8) * 1e3;
  x.row(3) = x.row(1);
  for (auto d : {ml::RdmDistance::correlation, ml::RdmDistance::euclidean, ml::RdmDistance::cosine}) {
    const Eigen::MatrixXd r = ml::compute_rdm(x, d);
    CHECK(r.minCoeff() >= 0.0);
    CHECK(r(1, 3) < 1e-9);
  }
}

TEST_CASE("rdm: class means and bad input", "[rdm]") {
  Eigen::MatrixXd x(5, 2);
  x << 1, 1, 3, 3, 10, 0, 20, 0, 0, 7;
  std::vector<int64_t> classes;
  const Eigen::MatrixXd m = ml::class_means(x, {5, 5, 2, 2, 9}, &classes);
  REQUIRE(classes == std::vector<int64_t>{2, 5, 9});
  Eigen::MatrixXd want(3, 2);
  want << 15, 0, 2, 2, 0, 7;
  CHECK((m - want).cwiseAbs().maxCoeff() == 0.0);
  CHECK_THROWS_WITH(ml::class_means(x, {1, 2}, nullptr), Contains("2 labels for 5 rows"));
  Eigen::MatrixXd flat(3, 4);
  flat << 1, 2, 3, 4, 5, 5, 5, 5, 0, 1, 0, 1;
  CHECK_THROWS_WITH(ml::compute_rdm(flat, ml::RdmDistance::correlation), Contains("row 1 has zero variance"));
  CHECK_THROWS_WITH(ml::parse_rdm_distance("manhattan"), Contains("manhattan"));
}
