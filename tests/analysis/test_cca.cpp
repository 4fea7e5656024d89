// The CCA family against the textbook formula written out in the test: the
// canonical correlations as the singular values of Cxx^{-1/2} Cxy Cyy^{-1/2}
// (covariance matrices and a Jacobi SVD; the library uses orthonormal bases and
// never forms a covariance), the SVCCA reduction by a thin Jacobi SVD of the
// centred data, PWCCA's weights with plain loops.
// Eigen's AVX-512 kernels trip GCC 12's -Wmaybe-uninitialized inside avx512fintrin.h
// (a false positive in system code inlined into ours; see CMakeLists.txt).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "analysis/cca.h"
#include "analysis_test_util.h"
#include "test_util.h"

using Catch::Matchers::Contains;
using ml_test::randn;

namespace {

Eigen::MatrixXd centred(const Eigen::MatrixXd& x) {
  Eigen::MatrixXd out = x;
  for (Eigen::Index j = 0; j < x.cols(); ++j) {
    double mean = 0;
    for (Eigen::Index i = 0; i < x.rows(); ++i) mean += x(i, j);
    mean /= static_cast<double>(x.rows());
    for (Eigen::Index i = 0; i < x.rows(); ++i) out(i, j) -= mean;
  }
  return out;
}

// Raghu et al.'s reduction: U_k S_k, k the fewest singular directions holding `keep` of sum s^2.
Eigen::MatrixXd reduced(const Eigen::MatrixXd& xc, double keep) {
  const Eigen::JacobiSVD<Eigen::MatrixXd> svd(xc, Eigen::ComputeThinU);
  const Eigen::VectorXd& s = svd.singularValues();
  double total = 0, cum = 0;
  for (Eigen::Index i = 0; i < s.size(); ++i) total += s(i) * s(i);
  Eigen::Index k = 0;
  while (cum < keep * total) cum += s(k) * s(k), ++k;
  return svd.matrixU().leftCols(k) * s.head(k).asDiagonal();
}

struct Oracle {
  Eigen::VectorXd rho;
  double mean = 0, pwcca = 0;
};

// The documented rule: svcca reduces both sides, mean and pwcca a side with >= N - 1 features.
Oracle oracle(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, ml::CcaMethod method, double keep = 0.99) {
  const Eigen::Index n = x.rows();
  const Eigen::MatrixXd xc = centred(x), yc = centred(y);
  const bool all = method == ml::CcaMethod::svcca;
  const Eigen::MatrixXd xr = all || x.cols() >= n - 1 ? reduced(xc, keep) : xc;
  const Eigen::MatrixXd yr = all || y.cols() >= n - 1 ? reduced(yc, keep) : yc;
  const Eigen::MatrixXd cxx = xr.transpose() * xr, cyy = yr.transpose() * yr, cxy = xr.transpose() * yr;
  const Eigen::MatrixXd ix = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(cxx).operatorInverseSqrt();
  const Eigen::MatrixXd iy = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(cyy).operatorInverseSqrt();
  const Eigen::JacobiSVD<Eigen::MatrixXd> svd(ix * cxy * iy, Eigen::ComputeFullU);
  Oracle o;
  o.rho = svd.singularValues();
  o.mean = o.rho.mean();
  double num = 0, den = 0;
  for (Eigen::Index i = 0; i < o.rho.size(); ++i) {
    // x's canonical variate h_i = X Cxx^{-1/2} u_i, unit norm; its weight sum_j |<h_i, x_j>|.
    Eigen::VectorXd h = xr * (ix * svd.matrixU().col(i));
    double norm = 0;
    for (Eigen::Index r = 0; r < n; ++r) norm += h(r) * h(r);
    h /= std::sqrt(norm);
    double weight = 0;
    for (Eigen::Index j = 0; j < xc.cols(); ++j) {
      double dot = 0;
      for (Eigen::Index r = 0; r < n; ++r) dot += h(r) * xc(r, j);
      weight += std::fabs(dot);
    }
    num += weight * o.rho(i);
    den += weight;
  }
  o.pwcca = num / den;
  return o;
}

struct Shape {
  Eigen::Index n, p, q;
};

// y shares part of x's structure, plus noise and an offset the centring must remove.
Eigen::MatrixXd related_to(const Eigen::MatrixXd& x, Eigen::Index q, uint32_t seed) {
  const Eigen::Index shared = std::min<Eigen::Index>(x.cols(), 4);
  return x.leftCols(shared) * randn(shared, q, seed) + 2.0 * randn(x.rows(), q, seed + 1) +
         Eigen::MatrixXd::Constant(x.rows(), q, 3.0);
}

}  // namespace

TEST_CASE("cca: mean, svcca and pwcca against the covariance formula, three shapes", "[cca]") {
  // Narrow; A wider than N (reduced for mean and pwcca too: low rank, as activations are, so
  // that the reduced sides do not fill the space); both moderately wide.
  for (const Shape s : {Shape{40, 6, 9}, Shape{30, 45, 7}, Shape{60, 20, 15}}) {
    const Eigen::MatrixXd x = s.p < s.n ? randn(s.n, s.p, 11)
                                        : Eigen::MatrixXd(randn(s.n, 5, 13) * randn(5, s.p, 14) + 0.3 * randn(s.n, s.p, 15));
    const Eigen::MatrixXd y = related_to(x, s.q, 12);
    for (const auto method : {ml::CcaMethod::mean, ml::CcaMethod::svcca, ml::CcaMethod::pwcca}) {
      INFO("N " << s.n << " p " << s.p << " q " << s.q << " " << ml::cca_metric(method));
      const Oracle want = oracle(x, y, method);
      const ml::CcaResult got = ml::cca_similarity(x, y, method);
      const double value = method == ml::CcaMethod::pwcca ? want.pwcca : want.mean;
      CHECK(value < 0.95);  // not saturated: the comparison has something to compare
      CHECK(got.dims_a + got.dims_b < s.n - 1);  // and no correlation is 1 by construction (pwcca's weights
                                                 // would then depend on a choice of basis among them)
      CHECK(std::fabs(got.value - value) <= 1e-6 * value);
      REQUIRE(got.rho.size() == want.rho.size());
      for (Eigen::Index i = 0; i < want.rho.size(); ++i) CHECK(std::fabs(got.rho(i) - want.rho(i)) <= 1e-6);
    }
  }
}

TEST_CASE("cca: --keep changes svcca's reduction as documented", "[cca]") {
  const Eigen::MatrixXd x = randn(50, 12, 21), y = related_to(x, 10, 22);
  for (double keep : {0.5, 0.9, 1.0}) {
    INFO("keep " << keep);
    const double want = oracle(x, y, ml::CcaMethod::svcca, keep).mean;
    CHECK(std::fabs(ml::cca_similarity(x, y, ml::CcaMethod::svcca, keep).value - want) <= 1e-6 * want);
  }
  // keep 1 reduces nothing: the mean canonical correlation.
  CHECK(std::fabs(ml::cca_similarity(x, y, ml::CcaMethod::svcca, 1.0).value -
                  ml::cca_similarity(x, y, ml::CcaMethod::mean).value) < 1e-9);
}

TEST_CASE("cca: identical inputs give 1", "[cca]") {
  for (const Shape s : {Shape{30, 5, 5}, Shape{20, 40, 40}}) {
    const Eigen::MatrixXd x = randn(s.n, s.p, 31);
    for (const auto method : {ml::CcaMethod::mean, ml::CcaMethod::svcca, ml::CcaMethod::pwcca})
      CHECK(std::fabs(ml::cca_similarity(x, x, method).value - 1.0) < 1e-9);
  }
}

TEST_CASE("cca: the note says which reductions were applied and what they imply", "[cca]") {
  const Eigen::MatrixXd x = randn(30, 45, 41), y = randn(30, 5, 42);
  const ml::CcaResult mean_wide = ml::cca_similarity(x, y, ml::CcaMethod::mean);
  CHECK_THAT(mean_wide.note, Contains("reduced A: top ") && Contains("of 45 features (99% of the variance)") &&
                                 Contains("45 features on 30 examples span every centred direction"));
  CHECK(mean_wide.dims_a < 29);
  CHECK(mean_wide.dims_b == 5);
  CHECK_THAT(ml::cca_similarity(x, y, ml::CcaMethod::svcca).note, Contains("B: top "));
  // Narrow sides, taken whole: nothing to say.
  CHECK(ml::cca_similarity(y, randn(30, 4, 43), ml::CcaMethod::pwcca).note.empty());
  // 20 + 15 dimensions in 29 centred directions: 6 correlations are 1 whatever the data.
  const ml::CcaResult crowded = ml::cca_similarity(randn(30, 20, 44), randn(30, 15, 45), ml::CcaMethod::mean);
  CHECK_THAT(crowded.note, Contains("6 of the 15 correlations are 1 by construction"));
  for (Eigen::Index i = 0; i < 6; ++i) CHECK(crowded.rho(i) > 1 - 1e-9);
  // A rank-deficient side taken whole: CCA on its span, said so.
  Eigen::MatrixXd dup(30, 4);
  dup << y.leftCols(3), y.col(0) + y.col(1);
  CHECK_THAT(ml::cca_similarity(dup, randn(30, 3, 46), ml::CcaMethod::mean).note, Contains("A: rank 3 of 4 columns"));
}

TEST_CASE("cca: prepared sides (one basis for many pairs) refuse a pair they were not made for", "[cca]") {
  const ml::CcaSide a = ml::cca_side(randn(30, 5, 51), ml::CcaMethod::pwcca);
  const ml::CcaSide b = ml::cca_side(randn(30, 4, 52), ml::CcaMethod::mean);
  CHECK_THAT(ml_test::error_of<std::invalid_argument>([&] { ml::cca_similarity(a, b); }),
             Contains("prepared for different methods"));
  const ml::CcaSide c = ml::cca_side(randn(31, 4, 53), ml::CcaMethod::pwcca);
  CHECK_THAT(ml_test::error_of<std::invalid_argument>([&] { ml::cca_similarity(a, c); }),
             Contains("the sides have 30 and 31 rows"));
  CHECK_THAT(ml_test::error_of<std::invalid_argument>([&] { ml::cca_side(randn(2, 4, 54), ml::CcaMethod::svcca); }),
             Contains("2 rows (at least 3)"));
  CHECK_THAT(ml_test::error_of<std::invalid_argument>([&] { ml::cca_side(randn(30, 4, 55), ml::CcaMethod::svcca, 0); }),
             Contains("keep must be in (0, 1]"));
}

TEST_CASE("cca: bad input is one clear error", "[cca]") {
  const Eigen::MatrixXd x = randn(10, 3, 1);
  CHECK_THAT(ml_test::error_of<std::invalid_argument>([&] { ml::cca_similarity(x, randn(11, 3, 2), ml::CcaMethod::mean); }),
             Contains("10 and 11 rows"));
  CHECK_THAT(ml_test::error_of<std::invalid_argument>(
                 [&] { ml::cca_similarity(x.topRows(2), x.topRows(2), ml::CcaMethod::svcca); }),
             Contains("at least 3"));
  CHECK_THAT(ml_test::error_of<std::invalid_argument>([&] { ml::cca_similarity(x, x, ml::CcaMethod::svcca, 0.0); }),
             Contains("keep"));
  CHECK_THAT(ml_test::error_of<std::invalid_argument>([&] { ml::cca_similarity(x, x, ml::CcaMethod::svcca, 1.5); }),
             Contains("keep"));
  CHECK_THAT(ml_test::error_of<std::invalid_argument>([] { ml::parse_cca_method("ridge"); }), Contains("'ridge'"));
  Eigen::MatrixXd with_constant(10, 4);
  with_constant << x, Eigen::VectorXd::Constant(10, 7.0);
  const Eigen::MatrixXd y = randn(10, 2, 3);
  for (const auto method : {ml::CcaMethod::mean, ml::CcaMethod::pwcca})
    CHECK_THAT(ml_test::error_of<std::invalid_argument>(
                   [&] { ml::cca_similarity(y, with_constant, method, 0.99, "a.npy", "b.npy"); }),
               Contains("b.npy column 3 is constant"));
  // svcca's reduction drops the constant column: the same value as without it.
  CHECK(std::fabs(ml::cca_similarity(with_constant, y, ml::CcaMethod::svcca).value -
                  ml::cca_similarity(x, y, ml::CcaMethod::svcca).value) < 1e-12);
  const Eigen::MatrixXd flat = Eigen::MatrixXd::Constant(10, 3, 2.0);
  CHECK_THAT(ml_test::error_of<std::invalid_argument>(
                 [&] { ml::cca_similarity(flat, y, ml::CcaMethod::svcca, 0.99, "a.npy", "b.npy"); }),
             Contains("a.npy has no variance"));
}
