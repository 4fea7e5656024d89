// CKA against the published values of Kornblith's tutorial (fixtures made by
// tests/fixtures/make_cka_fixtures.py with numpy), the invariances CKA must
// have, and the fast forms (feature space, fused RBF sums) against the plain
// N x N kernel forms.
// Eigen's AVX-512 kernels trip GCC 12's -Wmaybe-uninitialized inside avx512fintrin.h
// (a false positive in system code inlined into ours; see CMakeLists.txt).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "analysis/cka.h"
#include "analysis/matrix_io.h"
#include "analysis_test_util.h"
#include "test_util.h"

using Catch::Matchers::Contains;
using ml_test::randn;

namespace {

struct Fixture {
  Eigen::MatrixXd x, y;
  Fixture() {
    x = ml::load_matrix_npy(ml_test::source_dir() + "/tests/fixtures/X.npy");
    y = ml::load_matrix_npy(ml_test::source_dir() + "/tests/fixtures/Y.npy");
  }
};

// Correlated pair: y = x W + noise.
std::pair<Eigen::MatrixXd, Eigen::MatrixXd> related(Eigen::Index n, Eigen::Index dx, Eigen::Index dy, uint32_t seed) {
  const Eigen::MatrixXd x = randn(n, dx, seed);
  const Eigen::MatrixXd y = x * randn(dx, dy, seed + 1) + 2.0 * randn(n, dy, seed + 2);
  return {x, y};
}

}  // namespace

TEST_CASE("cka: the tutorial's published values (seed 1337, X 100x10, Y = randn + X)", "[cka]") {
  Fixture f;
  REQUIRE(f.x.rows() == 100);
  REQUIRE(f.x.cols() == 10);
  // Published by Kornblith's CKA tutorial (demo.ipynb).
  CHECK(std::fabs(ml::linear_cka(f.x, f.y) - 0.5576132566) < 1e-9);
  CHECK(std::fabs(ml::rbf_cka(f.x, f.y, 0.5) - 0.6548311823) < 1e-9);
  CHECK(std::fabs(ml::linear_cka(f.x, f.y, true) - 0.5134564895) < 1e-9);
  // The same from the explicit N x N kernels (Kornblith's center_gram form).
  CHECK(std::fabs(ml::gram_cka(ml::linear_gram(f.x), ml::linear_gram(f.y), false) - 0.5576132566) < 1e-9);
  CHECK(std::fabs(ml::gram_cka(ml::rbf_gram(f.x, 0.5), ml::rbf_gram(f.y, 0.5), false) - 0.6548311823) < 1e-9);
  CHECK(std::fabs(ml::gram_cka(ml::linear_gram(f.x), ml::linear_gram(f.y), true) - 0.5134564895) < 1e-9);
}

TEST_CASE("cka: Song's unbiased HSIC formula agrees with the unbiased centring", "[cka]") {
  Fixture f;
  const Eigen::MatrixXd k = ml::rbf_gram(f.x, 1.0), l = ml::rbf_gram(f.y, 1.0);
  const double via_hsic = ml::hsic_unbiased(k, l) / std::sqrt(ml::hsic_unbiased(k, k) * ml::hsic_unbiased(l, l));
  CHECK(std::fabs(via_hsic - ml::gram_cka(k, l, true)) < 1e-12);
  // The fused RBF path, debiased, against the explicit kernels.
  CHECK(std::fabs(ml::rbf_cka(f.x, f.y, 1.0, true) - via_hsic) < 1e-12);
  // Linear kernel on uncentred data: the unbiased estimator ignores the offset.
  const Eigen::MatrixXd shifted = f.x.rowwise() + Eigen::RowVectorXd::Constant(10, 3.0);
  CHECK(std::fabs(ml::gram_cka(ml::linear_gram(shifted), ml::linear_gram(f.y), true) -
                  ml::linear_cka(f.x, f.y, true)) < 1e-12);
}

TEST_CASE("cka: invariances and CKA(X, X) = 1", "[cka]") {
  auto [x, y] = related(200, 12, 8, 7);
  const Eigen::MatrixXd q = ml_test::random_orthogonal(12, 99);
  for (bool debiased : {false, true}) {
    const double base = ml::linear_cka(x, y, debiased);
    CHECK(std::fabs(ml::linear_cka(x * q, y, debiased) - base) < 1e-12);
    CHECK(std::fabs(ml::linear_cka(x * 7.5, y * 0.01, debiased) - base) < 1e-12);
    CHECK(std::fabs(ml::linear_cka(x, x, debiased) - 1.0) < 1e-12);
    const double rbf = ml::rbf_cka(x, y, 0.5, debiased);
    CHECK(std::fabs(ml::rbf_cka(x * q, y, 0.5, debiased) - rbf) < 1e-10);
    CHECK(std::fabs(ml::rbf_cka(x * 3.0, y, 0.5, debiased) - rbf) < 1e-10);  // the bandwidth scales along
    CHECK(std::fabs(ml::rbf_cka(y, y, 0.5, debiased) - 1.0) < 1e-12);
  }
  // Unrelated data: small, related: large.
  CHECK(ml::linear_cka(x, randn(200, 8, 1234)) < 0.2);
  CHECK(ml::linear_cka(x, y) > 0.5);
}

TEST_CASE("cka: more features than examples uses N x N grams, same value", "[cka]") {
  auto [x, y] = related(40, 60, 50, 3);  // 110 features > 40 rows
  for (bool debiased : {false, true}) {
    const double got = ml::linear_cka(x, y, debiased);
    const double want = ml::gram_cka(ml::linear_gram(x), ml::linear_gram(y), debiased);
    CHECK(std::fabs(got - want) < 1e-12);
  }
}

TEST_CASE("cka: minibatch CKA", "[cka]") {
  auto [x, y] = related(1200, 20, 15, 11);
  // One batch holding every row is the debiased CKA exactly.
  CHECK(std::fabs(ml::minibatch_cka(x, y, ml::CkaKernel::linear, 1200) - ml::linear_cka(x, y, true)) < 1e-12);
  CHECK(std::fabs(ml::minibatch_cka(x, y, ml::CkaKernel::rbf, 1200, 0.5) - ml::rbf_cka(x, y, 0.5, true)) < 1e-12);
  // Large batches estimate the same quantity (Nguyen et al.: unbiased per batch).
  const double full = ml::linear_cka(x, y, true);
  CHECK(std::fabs(ml::minibatch_cka(x, y, ml::CkaKernel::linear, 300) - full) < 0.03);
  CHECK(std::fabs(ml::minibatch_cka(x, y, ml::CkaKernel::rbf, 400, 0.5) - ml::rbf_cka(x, y, 0.5, true)) < 0.05);
  CHECK_THROWS_WITH(ml::minibatch_cka(x, y, ml::CkaKernel::linear, 3), Contains(">= 4"));
}

TEST_CASE("cka: the layer x layer matrix equals pairwise CKA", "[cka]") {
  auto [a0, b0] = related(100, 30, 20, 21);
  auto [a1, b1] = related(100, 150, 10, 22);  // wider than N
  const std::vector<Eigen::MatrixXd> a = {a0, a1}, b = {b0, b1, a0};
  for (bool debiased : {false, true}) {
    const Eigen::MatrixXd m = ml::linear_cka_matrix(a, b, debiased);
    REQUIRE(m.rows() == 2);
    REQUIRE(m.cols() == 3);
    for (size_t i = 0; i < a.size(); ++i)
      for (size_t j = 0; j < b.size(); ++j)
        CHECK(std::fabs(m(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) -
                        ml::linear_cka(a[i], b[j], debiased)) < 1e-12);
    CHECK(std::fabs(m(0, 2) - 1.0) < 1e-12);
  }
}

TEST_CASE("cka: bad input is one clear error", "[cka]") {
  const Eigen::MatrixXd x = randn(10, 3, 1), y = randn(11, 3, 2);
  CHECK_THROWS_WITH(ml::linear_cka(x, y), Contains("10 rows") && Contains("11"));
  CHECK_THROWS_WITH(ml::linear_cka(randn(3, 2, 1), randn(3, 2, 2), true), Contains("at least 4"));
  CHECK_THROWS_WITH(ml::rbf_cka(x, x, 0.0), Contains("rbf-scale"));
  CHECK_THROWS_WITH(ml::parse_cka_kernel("poly"), Contains("poly"));
}

TEST_CASE("cka: mixed precision (float products, double sums) stays within 1e-7 of double", "[cka]") {
  auto [x, y] = related(3000, 40, 30, 31);
  const Eigen::MatrixXd xs = (x.array() + 5.0).matrix();  // an offset the centring must remove first
  for (bool debiased : {false, true}) {
    const double exact = ml::linear_cka(xs, y, debiased);
    CHECK(std::fabs(ml::linear_cka(xs, y, debiased, true) - exact) < 1e-7);
  }
}

TEST_CASE("cka: mixed-precision RBF CKA stays within 1e-7 of double", "[cka]") {
  auto [x, y] = related(700, 150, 140, 41);  // ragged gram tiles and feature blocks
  for (bool debiased : {false, true}) {
    const double exact = ml::rbf_cka(x, y, 0.5, debiased);
    const double fast = ml::rbf_cka(x, y, 0.5, debiased, true);
    CHECK(std::fabs(fast - exact) < 1e-7);
    CHECK(fast != exact);  // it really took the float path
  }
}

TEST_CASE("cka: the RBF bandwidth is np.median over all n^2 squared distances (sampled selection)", "[cka]") {
  // n = 1500: > 2^20 pairs, so the median takes the sampled-bracket selection.
  const Eigen::Index n = 1500;
  const Eigen::MatrixXd x = randn(n, 6, 51);
  Eigen::MatrixXd d(n, n);
  for (Eigen::Index j = 0; j < n; ++j)
    for (Eigen::Index i = 0; i < n; ++i) d(i, j) = (x.row(i) - x.row(j)).squaredNorm();
  std::vector<double> all(d.data(), d.data() + d.size());
  std::sort(all.begin(), all.end());
  const double median = 0.5 * (all[all.size() / 2 - 1] + all[all.size() / 2]);
  const Eigen::MatrixXd want = (d.array() / (-2.0 * 0.25 * median)).exp().matrix();
  CHECK((ml::rbf_gram(x, 0.5) - want).cwiseAbs().maxCoeff() < 1e-12);
}
