// Each representational similarity measure against the invariances it claims (the
// habit of Klabunde et al.'s ReSi benchmark), and its value for identical inputs:
//   procrustes, alpha = 1:  orthogonal maps, isotropic scaling of either side
//   procrustes, alpha = 0:  any invertible linear map
//   procrustes, in between: orthogonal maps
//   cca mean:               any invertible linear map of either side
//   pwcca:                  any invertible linear map of B; scaling, permutation and sign flips of A's columns
//   svcca:                  orthogonal maps, isotropic scaling
//   knn:                    isotropic scaling, orthogonal maps
// and a translation of the columns everywhere (the columns are centred). Each is
// also checked to move under a change it does not claim, so that a measure stuck
// at one value cannot pass. (CKA's invariances: tests/analysis/test_cka.cpp.)
// Eigen's AVX-512 kernels trip GCC 12's -Wmaybe-uninitialized inside avx512fintrin.h
// (a false positive in system code inlined into ours; see CMakeLists.txt).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <cmath>
#include <functional>

#include "analysis/cca.h"
#include "analysis/knn_overlap.h"
#include "analysis/procrustes.h"
#include "analysis_test_util.h"
#include "test_util.h"

using ml_test::randn;
using Eigen::MatrixXd;

namespace {

// A well-conditioned invertible map: rotation, scales in [0.5, 2], rotation.
MatrixXd invertible(Eigen::Index d, uint32_t seed) {
  Eigen::VectorXd scales(d);
  for (Eigen::Index i = 0; i < d; ++i) scales(i) = 0.5 + 1.5 * static_cast<double>(i) / static_cast<double>(d);
  return ml_test::random_orthogonal(d, seed) * scales.asDiagonal() * ml_test::random_orthogonal(d, seed + 1);
}

MatrixXd shifted(const MatrixXd& x) { return x.rowwise() + Eigen::RowVectorXd::LinSpaced(x.cols(), -3.0, 5.0); }

// Columns in reverse order, every other one negated.
MatrixXd permuted_flipped(const MatrixXd& x) {
  MatrixXd out = x.rowwise().reverse();
  for (Eigen::Index j = 0; j < x.cols(); j += 2) out.col(j) *= -1;
  return out;
}

using Measure = std::function<double(const MatrixXd&, const MatrixXd&)>;

struct Pair {
  MatrixXd x, y;
};

// N = 80 examples, A 12 wide, B 9 wide (narrow: every measure takes the sides whole), sharing structure.
Pair pair() {
  const MatrixXd x = randn(80, 12, 71);
  return {x, x.leftCols(5) * randn(5, 9, 72) + 1.5 * randn(80, 9, 73)};
}

void check_unchanged(const Measure& m, const MatrixXd& x, const MatrixXd& y, const MatrixXd& x2, const MatrixXd& y2,
                     double tol, const char* what) {
  INFO(what);
  CHECK(std::fabs(m(x2, y2) - m(x, y)) <= tol);
}

}  // namespace

TEST_CASE("invariances: procrustes", "[invariances]") {
  const auto [x, y] = pair();
  const MatrixXd qx = ml_test::random_orthogonal(12, 81), qy = ml_test::random_orthogonal(9, 82);
  for (double alpha : {1.0, 0.5, 0.0}) {
    INFO("alpha " << alpha);
    const Measure d = [alpha](const MatrixXd& a, const MatrixXd& b) { return ml::procrustes_distance(a, b, alpha).distance; };
    CHECK(d(x, x) < 1e-6);
    CHECK(d(x, y) > 0.2);
    check_unchanged(d, x, y, x * qx, y, 1e-9, "orthogonal map of A");
    check_unchanged(d, x, y, x, y * qy, 1e-9, "orthogonal map of B");
    check_unchanged(d, x, y, shifted(x), shifted(y), 1e-9, "translation");
    if (alpha == 1.0 || alpha == 0.0) {
      check_unchanged(d, x, y, x * 7.5, y, 1e-9, "scaling A");
      check_unchanged(d, x, y, x, y * 0.02, 1e-9, "scaling B");
    }
    if (alpha == 0.0) {
      check_unchanged(d, x, y, x * invertible(12, 83), y * invertible(9, 84), 1e-7, "invertible maps");
    } else {
      // Not claimed, and not true: an anisotropic map moves the distance.
      CHECK(std::fabs(d(x * invertible(12, 83), y) - d(x, y)) > 1e-3);
    }
  }
}

TEST_CASE("invariances: the CCA family", "[invariances]") {
  const auto [x, y] = pair();
  const MatrixXd ax = invertible(12, 91), ay = invertible(9, 92);
  const MatrixXd qx = ml_test::random_orthogonal(12, 93), qy = ml_test::random_orthogonal(9, 94);
  const auto measure = [](ml::CcaMethod method) {
    return Measure([method](const MatrixXd& a, const MatrixXd& b) { return ml::cca_similarity(a, b, method).value; });
  };
  const Measure mean = measure(ml::CcaMethod::mean), pw = measure(ml::CcaMethod::pwcca),
                sv = measure(ml::CcaMethod::svcca);
  for (const auto& [m, name] : {std::pair{mean, "mean"}, std::pair{pw, "pwcca"}, std::pair{sv, "svcca"}}) {
    INFO(name);
    CHECK(std::fabs(m(x, x) - 1.0) < 1e-9);
    CHECK(m(x, y) < 0.9);
    check_unchanged(m, x, y, shifted(x), shifted(y), 1e-9, "translation");
    check_unchanged(m, x, y, x * 3.0, y * 0.1, 1e-9, "isotropic scaling");
    check_unchanged(m, x, y, x, y * qy, 1e-9, "orthogonal map of B");
  }
  check_unchanged(mean, x, y, x * qx, y, 1e-9, "mean: orthogonal map of A");
  check_unchanged(sv, x, y, x * qx, y, 1e-9, "svcca: orthogonal map of A");
  check_unchanged(mean, x, y, x * ax, y * ay, 1e-9, "mean: invertible maps of both sides");
  check_unchanged(pw, x, y, x, y * ay, 1e-9, "pwcca: invertible map of B");
  check_unchanged(pw, x, y, permuted_flipped(x), y, 1e-9, "pwcca: A's columns permuted and negated");
  // Not claimed: pwcca's weights follow A's columns (even a rotation moves them), svcca's
  // reduction the variance.
  CHECK(std::fabs(pw(x * qx, y) - pw(x, y)) > 1e-4);
  CHECK(std::fabs(pw(x * ax, y) - pw(x, y)) > 1e-4);
  const MatrixXd lowrank = x.leftCols(3) * randn(3, 12, 95) + 0.05 * randn(80, 12, 96);  // 99% in few directions
  MatrixXd stretch = MatrixXd::Identity(12, 12);
  stretch.diagonal().tail(6).setConstant(30.0);
  CHECK(std::fabs(sv(lowrank * stretch, y) - sv(lowrank, y)) > 1e-3);
}

TEST_CASE("invariances: mutual nearest neighbours", "[invariances]") {
  const auto [x, y] = pair();
  const Measure m = [](const MatrixXd& a, const MatrixXd& b) { return ml::mutual_knn(a, b, 5); };
  CHECK(m(x, x) == 1.0);
  CHECK(m(x, y) < 0.9);
  check_unchanged(m, x, y, x * 4.0, y * 0.01, 0.0, "isotropic scaling");
  check_unchanged(m, x, y, x * ml_test::random_orthogonal(12, 101), y, 0.0, "orthogonal map");
  check_unchanged(m, x, y, shifted(x), y, 0.0, "translation");
  // Not claimed: an anisotropic map changes which neighbours are nearest.
  MatrixXd stretch = MatrixXd::Identity(12, 12);
  stretch(0, 0) = 20.0;
  CHECK(m(x * stretch, x) < 0.9);
}
