// The study reads the correlation RDM and the participation ratio off the gram it
// needs for CKA anyway: both must equal what compute_rdm and pca compute from the
// data directly (their own tests check those against rsatoolbox/numpy values).
// Eigen's AVX-512 kernels trip GCC 12's -Wmaybe-uninitialized inside avx512fintrin.h
// (a false positive in system code inlined into ours; see CMakeLists.txt).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <cmath>
#include <random>

#include "analysis/gram.h"
#include "analysis/pca.h"
#include "analysis/rdm.h"
#include "test_util.h"

using Catch::Matchers::Contains;

namespace {

// ReLU-like activations: non-negative with a large mean, where centring through
// the gram (G - D m m^T) cancels the most.
Eigen::MatrixXd activations(int n, int d, unsigned seed, double offset) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> normal;
  Eigen::MatrixXd x(n, d);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < d; ++j) x(i, j) = std::max(0.0, normal(gen) + 0.3 * (j % 7)) + offset;
  return x;
}

}  // namespace

TEST_CASE("correlation RDM and participation ratio from the gram equal the direct ones", "[rdm][pca]") {
  for (double offset : {0.0, 10.0}) {
    const Eigen::MatrixXd x = activations(60, 200, 7, offset);
    const Eigen::MatrixXd g = ml::row_gram(x);
    const Eigen::MatrixXd direct = ml::compute_rdm(x, ml::RdmDistance::correlation);
    const Eigen::MatrixXd from_gram = ml::correlation_rdm_from_gram(g, x.rowwise().mean(), x.cols());
    INFO("offset " << offset);
    CHECK((direct - from_gram).cwiseAbs().maxCoeff() < 1e-10);
    CHECK(from_gram.diagonal().cwiseAbs().maxCoeff() == 0.0);
    const double pr = ml::pca(x, 0).participation_ratio;
    CHECK(std::fabs(ml::participation_ratio_from_gram(g) - pr) < 1e-9 * pr);
  }
}

TEST_CASE("from the gram: a constant row and constant data", "[rdm][pca]") {
  Eigen::MatrixXd x = activations(10, 20, 3, 1.0);
  x.row(3).setConstant(2.5);
  const Eigen::MatrixXd g = ml::row_gram(x);
  CHECK_THAT(ml_test::error_of<std::invalid_argument>(
                 [&] { ml::correlation_rdm_from_gram(g, x.rowwise().mean(), x.cols()); }),
             Contains("row 3 has zero variance"));
  const Eigen::MatrixXd same = Eigen::MatrixXd::Constant(8, 5, 4.0);
  CHECK(std::isnan(ml::participation_ratio_from_gram(ml::row_gram(same))));
}
