// PCA against Eigen's SVD of the centred data, on both of pca()'s paths
// (features <= examples: D x D scatter; more features: N x N gram).
#include <cmath>

#include "analysis/pca.h"
#include "analysis_test_util.h"
#include "test_util.h"

TEST_CASE("pca: explained variance matches the SVD and sums to 1", "[pca]") {
  for (auto [n, d] : {std::pair<Eigen::Index, Eigen::Index>{200, 15}, {30, 80}}) {
    INFO(n << " x " << d);
    const Eigen::MatrixXd x = ml_test::randn(n, d, 17) * ml_test::randn(d, d, 18);  // correlated features
    const Eigen::MatrixXd xc = x.rowwise() - x.colwise().mean();
    Eigen::JacobiSVD<Eigen::MatrixXd> svd(xc, Eigen::ComputeThinU | Eigen::ComputeThinV);
    const Eigen::VectorXd s2 = svd.singularValues().array().square();
    const ml::PcaResult r = ml::pca(x, 3);
    const Eigen::Index rank = std::min(n - 1, d);
    REQUIRE(r.explained_ratio.size() == rank);
    CHECK(std::fabs(r.explained_ratio.sum() - 1.0) < 1e-12);
    for (Eigen::Index i = 0; i < rank; ++i) {
      CHECK(std::fabs(r.explained_ratio(i) - s2(i) / s2.sum()) < 1e-10);
      CHECK(std::fabs(r.variances(i) - s2(i) / static_cast<double>(n - 1)) < 1e-9 * s2(0));
    }
    // Scores = U S, up to each column's sign.
    for (Eigen::Index k = 0; k < 3; ++k) {
      const Eigen::VectorXd want = svd.matrixU().col(k) * svd.singularValues()(k);
      const double same = (r.projections.col(k) - want).cwiseAbs().maxCoeff();
      const double flipped = (r.projections.col(k) + want).cwiseAbs().maxCoeff();
      CHECK(std::min(same, flipped) < 1e-8 * svd.singularValues()(0));
    }
    const double pr = s2.sum() * s2.sum() / s2.squaredNorm();
    CHECK(std::fabs(r.participation_ratio - pr) < 1e-9);
  }
}

TEST_CASE("pca: participation ratio and components on a known spectrum", "[pca]") {
  // Orthogonal directions with variances 6, 3, 1 (x = [a*e1 | b*e2 | c*e3]).
  Eigen::MatrixXd x = Eigen::MatrixXd::Zero(6, 3);
  x << std::sqrt(15.0), 0, 0, -std::sqrt(15.0), 0, 0, 0, std::sqrt(7.5), 0, 0, -std::sqrt(7.5), 0, 0, 0,
      std::sqrt(2.5), 0, 0, -std::sqrt(2.5);
  const ml::PcaResult r = ml::pca(x, 2);
  REQUIRE(r.explained_ratio.size() == 3);
  CHECK(std::fabs(r.explained_ratio(0) - 0.6) < 1e-12);
  CHECK(std::fabs(r.explained_ratio(1) - 0.3) < 1e-12);
  CHECK(std::fabs(r.participation_ratio - 100.0 / 46.0) < 1e-12);  // (6+3+1)^2 / (36+9+1)
  CHECK(r.components_90 == 2);
  CHECK(r.components_95 == 3);
  CHECK(r.components_99 == 3);
  CHECK_THROWS(ml::pca(Eigen::MatrixXd::Ones(4, 3), 1));
}
