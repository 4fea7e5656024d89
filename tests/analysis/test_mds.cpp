// Classical MDS recovers points in the plane from their distances.
#include <cmath>

#include "analysis/mds.h"
#include "analysis_test_util.h"
#include "test_util.h"

TEST_CASE("mds: 2-D points come back with the same distances", "[mds]") {
  const Eigen::MatrixXd p = ml_test::randn(25, 2, 4) * 3.0;
  Eigen::MatrixXd d(25, 25);
  for (Eigen::Index i = 0; i < 25; ++i)
    for (Eigen::Index j = 0; j < 25; ++j) d(i, j) = (p.row(i) - p.row(j)).norm();
  const ml::MdsResult r = ml::classical_mds(d, 2);
  REQUIRE(r.coordinates.rows() == 25);
  REQUIRE(r.coordinates.cols() == 2);
  double worst = 0;
  for (Eigen::Index i = 0; i < 25; ++i)
    for (Eigen::Index j = 0; j < 25; ++j)
      worst = std::max(worst, std::fabs((r.coordinates.row(i) - r.coordinates.row(j)).norm() - d(i, j)));
  CHECK(worst < 1e-9);
  CHECK(std::fabs(r.explained - 1.0) < 1e-9);
  // Centred at the origin.
  CHECK(r.coordinates.colwise().sum().cwiseAbs().maxCoeff() < 1e-9);
}

TEST_CASE("mds: square, symmetric input only", "[mds]") {
  CHECK_THROWS_WITH(ml::classical_mds(Eigen::MatrixXd::Zero(3, 4)), Catch::Matchers::Contains("square"));
  Eigen::MatrixXd d = Eigen::MatrixXd::Zero(3, 3);
  d(0, 1) = 1;
  CHECK_THROWS_WITH(ml::classical_mds(d), Catch::Matchers::Contains("symmetric"));
}
