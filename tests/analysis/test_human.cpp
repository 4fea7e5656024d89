// Human-comparison metrics on a tiny example computed by hand.
#include <cmath>

#include "analysis/human.h"
#include "test_util.h"

using Catch::Matchers::Contains;

TEST_CASE("human: cross-entropy, majority agreement, confusion correlation by hand", "[human]") {
  // 4 images, 3 classes; true labels 0, 0, 1, 2.
  Eigen::MatrixXd p(4, 3), h(4, 3);
  p << 0.5, 0.25, 0.25,   // argmax 0
      0.25, 0.5, 0.25,    // argmax 1
      0.25, 0.5, 0.25,    // argmax 1
      0.5, 0.25, 0.25;    // argmax 0
  h << 1.0, 0.0, 0.0,     // majority 0 (agrees)
      0.5, 0.5, 0.0,      // tie 0/1 -> 0 (disagrees with 1)
      0.0, 1.0, 0.0,      // 1 (agrees)
      0.0, 0.0, 1.0;      // 2 (disagrees)
  const ml::HumanComparison r = ml::compare_with_humans(p, h, {0, 0, 1, 2});
  // -[log .5] - [.5 log .25 + .5 log .5] - [log .5] - [log .25], averaged.
  const double ce = (std::log(2.0) + (0.5 * std::log(4.0) + 0.5 * std::log(2.0)) + std::log(2.0) + std::log(4.0)) / 4;
  CHECK(std::fabs(r.cross_entropy - ce) < 1e-12);
  CHECK(r.agreement == 0.5);
  // Soft confusions (rows: true class), off-diagonal entries in row order:
  // model: (0,1) .375 (0,2) .25 (1,0) .25 (1,2) .25 (2,0) .5 (2,1) .25
  // human: (0,1) .25  (0,2) 0   (1,0) 0   (1,2) 0   (2,0) 0  (2,1) 0
  // model mean 0.3125; deviations .0625 -.0625 -.0625 -.0625 .1875 -.0625
  // human mean 1/24; deviations 5/24 then -1/24 x 5
  const double sab = 0.0625 * 5.0 / 24 + (-0.0625 * -1.0 / 24) * 3 + 0.1875 * -1.0 / 24 + (-0.0625 * -1.0 / 24);
  const double saa = 0.0625 * 0.0625 * 4 + 0.1875 * 0.1875 + 0.0625 * 0.0625;
  const double sbb = 25.0 / 576 + 5.0 / 576;
  CHECK(std::fabs(r.confusion_correlation - sab / std::sqrt(saa * sbb)) < 1e-12);
  CHECK(std::fabs(r.model_confusion(0, 1) - 0.375) < 1e-12);
}

TEST_CASE("human: identical distributions, and bad input", "[human]") {
  Eigen::MatrixXd p(3, 2);
  p << 0.9, 0.1, 0.2, 0.8, 0.6, 0.4;
  const ml::HumanComparison r = ml::compare_with_humans(p, p, {0, 1, 1});
  CHECK(r.agreement == 1.0);
  CHECK(std::fabs(r.confusion_correlation - 1.0) < 1e-12);
  Eigen::MatrixXd bad = p;
  bad(2, 0) = 0.9;
  CHECK_THROWS_WITH(ml::compare_with_humans(p, bad, {}), Contains("row 2 sums to"));
  CHECK_THROWS_WITH(ml::compare_with_humans(p, p, {0, 1, 5}), Contains("row 2 has class 5"));
  CHECK_THROWS_WITH(ml::compare_with_humans(p, Eigen::MatrixXd::Constant(2, 2, 0.5), {}), Contains("3 rows"));
}
