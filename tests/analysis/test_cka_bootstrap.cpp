// Bootstrap CKA (analysis/cka_bootstrap.h): each resample's one-pass weighted sums
// against the definitions on explicit resamples (the indexed gram through gram_cka for
// the biased form; a plain loop over 4-tuples of resampled positions for the debiased
// U-statistic), then the intervals' two anchors: a representation against itself gives
// [1, 1], two independent ones a debiased interval around 0.
// Eigen's AVX-512 kernels trip GCC 12's -Wmaybe-uninitialized inside avx512fintrin.h
// (a false positive in system code inlined into ours; see CMakeLists.txt).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "analysis/bootstrap.h"
#include "analysis/cka.h"
#include "analysis/cka_bootstrap.h"
#include "analysis_test_util.h"
#include "test_util.h"

using ml_test::randn;

namespace {

Eigen::MatrixXd centred_gram(const Eigen::MatrixXd& x) {
  const Eigen::MatrixXd c = x.rowwise() - x.colwise().mean();
  return c * c.transpose();
}

// K[idx][:, idx], element by element.
Eigen::MatrixXd indexed(const Eigen::MatrixXd& k, const std::vector<int64_t>& idx) {
  const Eigen::Index n = static_cast<Eigen::Index>(idx.size());
  Eigen::MatrixXd out(n, n);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < n; ++j) out(i, j) = k(idx[i], idx[j]);
  return out;
}

// Song's unbiased HSIC by its definition, the mean over ordered 4-tuples of distinct
// positions of K_ij L_ij + K_ij L_qr - 2 K_ij L_iq, here over the positions of the
// resample whose four images are distinct.
double hsic_distinct_images(const Eigen::MatrixXd& k, const Eigen::MatrixXd& l, const std::vector<int64_t>& idx) {
  const size_t n = idx.size();
  double sum = 0, count = 0;
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j)
      for (size_t q = 0; q < n; ++q)
        for (size_t r = 0; r < n; ++r) {
          const int64_t a = idx[i], b = idx[j], c = idx[q], d = idx[r];
          if (a == b || a == c || a == d || b == c || b == d || c == d) continue;
          sum += k(a, b) * (l(a, b) + l(c, d) - 2 * l(a, c));
          count += 1;
        }
  return sum / count;
}

double cka_distinct_images(const Eigen::MatrixXd& k, const Eigen::MatrixXd& l, const std::vector<int64_t>& idx) {
  return hsic_distinct_images(k, l, idx) /
         std::sqrt(hsic_distinct_images(k, k, idx) * hsic_distinct_images(l, l, idx));
}

// y = x W + noise: CKA well away from 0 and 1.
std::pair<Eigen::MatrixXd, Eigen::MatrixXd> related(Eigen::Index n, Eigen::Index d, uint32_t seed) {
  const Eigen::MatrixXd x = randn(n, d, seed);
  return {x, x * randn(d, d, seed + 1) + 2.0 * randn(n, d, seed + 2)};
}

}  // namespace

TEST_CASE("bootstrap cka: a resample's biased CKA is gram_cka on the indexed grams", "[cka][bootstrap]") {
  const auto [x, y] = related(40, 6, 11);
  // Raw grams of shifted features too: the resample re-centres, so both must agree with the oracle.
  const Eigen::MatrixXd xs = x.array() + 1.5, ys = y.array() - 0.5;
  for (const bool centred : {true, false}) {
    const Eigen::MatrixXd k = centred ? centred_gram(x) : Eigen::MatrixXd(xs * xs.transpose());
    const Eigen::MatrixXd l = centred ? centred_gram(y) : Eigen::MatrixXd(ys * ys.transpose());
    for (int b = 0; b < 5; ++b) {
      INFO("centred " << centred << ", resample " << b);
      const std::vector<int64_t> idx = ml::bootstrap_resample(40, b, 3);
      const double want = ml::gram_cka(indexed(k, idx), indexed(l, idx), false);
      CHECK(std::fabs(ml::resampled_gram_cka(k, l, idx, false) - want) < 1e-9);
    }
  }
}

TEST_CASE("bootstrap cka: a resample's debiased CKA is the U-statistic over distinct images", "[cka][bootstrap]") {
  const auto [x, y] = related(11, 4, 21);
  const Eigen::MatrixXd k = centred_gram(x), l = centred_gram(y);
  // Every image once: Song's estimator itself, as gram_cka computes it.
  std::vector<int64_t> all(11);
  for (int64_t i = 0; i < 11; ++i) all[i] = 10 - i;
  CHECK(std::fabs(ml::resampled_gram_cka(k, l, all, true) - ml::gram_cka(k, l, true)) < 1e-9);
  const Eigen::MatrixXd xs = x.array() + 2.0;
  const Eigen::MatrixXd k_raw = xs * xs.transpose();
  for (int b = 0; b < 4; ++b) {
    INFO("resample " << b);
    const std::vector<int64_t> idx = ml::bootstrap_resample(11, b, 5);
    const double want = cka_distinct_images(k, l, idx);
    CHECK(std::fabs(ml::resampled_gram_cka(k, l, idx, true) - want) < 1e-9);
    // Raw or centred gram: the same U-statistic (its kernel ignores K_ab -> K_ab + c_a + c_b).
    CHECK(std::fabs(ml::resampled_gram_cka(k_raw, l, idx, true) - want) < 1e-9);
  }
  // Fewer than 4 distinct images: no 4-tuple, NaN.
  CHECK(std::isnan(ml::resampled_gram_cka(k, l, {0, 0, 1, 1, 2, 2, 2, 0, 1, 2, 0}, true)));
}

TEST_CASE("bootstrap cka: a representation against itself gives [1, 1]", "[cka][bootstrap]") {
  const Eigen::MatrixXd k = centred_gram(randn(60, 8, 31));
  for (const bool debiased : {false, true}) {
    INFO("debiased " << debiased);
    const ml::BootstrapInterval ci = ml::bootstrap_gram_cka(k, k, debiased, 200, 1);
    CHECK(std::fabs(ci.low - 1) < 1e-12);
    CHECK(std::fabs(ci.high - 1) < 1e-12);
    CHECK(ci.draws == 200);
  }
}

TEST_CASE("bootstrap cka: independent noise gives a debiased interval around 0", "[cka][bootstrap]") {
  // 50 features for 200 images: the regime where a duplicated image paired with itself
  // would lift every resample far above 0.
  const Eigen::MatrixXd x = randn(200, 50, 41), y = randn(200, 50, 42);
  const ml::BootstrapInterval ci = ml::bootstrap_linear_cka(x, y, true, 500, 7);
  INFO("[" << ci.low << ", " << ci.high << "]");
  CHECK(ci.low < 0);
  CHECK(ci.high > 0);
  CHECK(ci.high - ci.low < 0.2);
  // A related pair: the interval holds its debiased CKA and stays clear of 0.
  const auto [a, b] = related(200, 20, 43);
  const double point = ml::linear_cka(a, b, true);
  const ml::BootstrapInterval rel = ml::bootstrap_linear_cka(a, b, true, 500, 7);
  INFO("point " << point << ", [" << rel.low << ", " << rel.high << "]");
  CHECK(rel.low < point);
  CHECK(rel.high > point);
  CHECK(rel.low > 0.05);
}

TEST_CASE("bootstrap cka: the same values on 1 and 2 threads, and a seeded stream", "[cka][bootstrap]") {
  const auto [x, y] = related(80, 5, 51);
  const Eigen::MatrixXd k = centred_gram(x), l = centred_gram(y);
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const ml::BootstrapInterval one = ml::bootstrap_gram_cka(k, l, true, 101, 9);
  omp_set_num_threads(2);
  const ml::BootstrapInterval two = ml::bootstrap_gram_cka(k, l, true, 101, 9);
  omp_set_num_threads(threads);
  CHECK(one.low == two.low);
  CHECK(one.high == two.high);
  const ml::BootstrapInterval other_seed = ml::bootstrap_gram_cka(k, l, true, 101, 10);
  CHECK(other_seed.low != one.low);
  CHECK_THROWS_AS(ml::bootstrap_gram_cka(k, l, true, 0, 1), std::invalid_argument);
  CHECK_THROWS_AS(ml::bootstrap_gram_cka(k, Eigen::MatrixXd(l.topRows(40)), false, 10, 1), std::invalid_argument);
}
