// Mutual nearest neighbours against plain loops: every pairwise cosine of the
// centred rows summed term by term, each row's others fully sorted, the overlap
// counted with std::set_intersection (the library uses a gram, partial sorts and
// a merge).
#include <algorithm>
#include <cmath>
#include <iterator>
#include <stdexcept>
#include <vector>

#include "analysis/knn_overlap.h"
#include "analysis_test_util.h"
#include "test_util.h"

using Catch::Matchers::Contains;
using ml_test::randn;

namespace {

std::vector<std::vector<Eigen::Index>> oracle_neighbours(const Eigen::MatrixXd& x, Eigen::Index k) {
  const Eigen::Index n = x.rows(), p = x.cols();
  std::vector<std::vector<double>> rows(static_cast<size_t>(n), std::vector<double>(static_cast<size_t>(p)));
  for (Eigen::Index j = 0; j < p; ++j) {
    double mean = 0;
    for (Eigen::Index i = 0; i < n; ++i) mean += x(i, j);
    mean /= static_cast<double>(n);
    for (Eigen::Index i = 0; i < n; ++i) rows[size_t(i)][size_t(j)] = x(i, j) - mean;
  }
  const auto cosine = [&](Eigen::Index a, Eigen::Index b) {
    double ab = 0, aa = 0, bb = 0;
    for (Eigen::Index j = 0; j < p; ++j) {
      ab += rows[size_t(a)][size_t(j)] * rows[size_t(b)][size_t(j)];
      aa += rows[size_t(a)][size_t(j)] * rows[size_t(a)][size_t(j)];
      bb += rows[size_t(b)][size_t(j)] * rows[size_t(b)][size_t(j)];
    }
    return ab / std::sqrt(aa * bb);
  };
  std::vector<std::vector<Eigen::Index>> out;
  for (Eigen::Index i = 0; i < n; ++i) {
    std::vector<std::pair<double, Eigen::Index>> others;
    for (Eigen::Index j = 0; j < n; ++j)
      if (j != i) others.emplace_back(-cosine(i, j), j);
    std::sort(others.begin(), others.end());
    std::vector<Eigen::Index> near;
    for (Eigen::Index c = 0; c < k; ++c) near.push_back(others[size_t(c)].second);
    std::sort(near.begin(), near.end());
    out.push_back(near);
  }
  return out;
}

double oracle(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, Eigen::Index k) {
  const auto a = oracle_neighbours(x, k), b = oracle_neighbours(y, k);
  double total = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    std::vector<Eigen::Index> both;
    std::set_intersection(a[i].begin(), a[i].end(), b[i].begin(), b[i].end(), std::back_inserter(both));
    total += static_cast<double>(both.size()) / static_cast<double>(k);
  }
  return total / static_cast<double>(a.size());
}

struct Shape {
  Eigen::Index n, p, q, k;
};

}  // namespace

TEST_CASE("knn: mutual nearest neighbours against plain loops, three shapes", "[knn]") {
  for (const Shape s : {Shape{40, 6, 9, 5}, Shape{25, 60, 7, 3}, Shape{120, 30, 50, 10}}) {
    INFO("N " << s.n << " p " << s.p << " q " << s.q << " k " << s.k);
    const Eigen::MatrixXd x = randn(s.n, s.p, 51);
    const Eigen::MatrixXd y = x.leftCols(std::min<Eigen::Index>(s.p, 5)) * randn(std::min<Eigen::Index>(s.p, 5), s.q, 52) +
                              randn(s.n, s.q, 53) + Eigen::MatrixXd::Constant(s.n, s.q, 4.0);
    const double want = oracle(x, y, s.k), got = ml::mutual_knn(x, y, s.k);
    CHECK(want > 0.05);
    CHECK(want < 0.95);
    CHECK(std::fabs(got - want) <= 1e-6 * want);
    // The neighbour lists themselves, nearest first in the library.
    const auto near = ml::nearest_neighbours(x, s.k);
    const auto want_near = oracle_neighbours(x, s.k);
    for (Eigen::Index i = 0; i < s.n; ++i) {
      std::vector<Eigen::Index> row(near.row(i).begin(), near.row(i).end());
      std::sort(row.begin(), row.end());
      CHECK(row == want_near[size_t(i)]);
    }
  }
}

TEST_CASE("knn: identical inputs give 1, k = N - 1 gives 1", "[knn]") {
  const Eigen::MatrixXd x = randn(30, 8, 61);
  CHECK(ml::mutual_knn(x, x, 5) == 1.0);
  CHECK(ml::mutual_knn(x, randn(30, 4, 62), 29) == 1.0);
}

TEST_CASE("knn: ties go to the smaller index", "[knn]") {
  // Centred already: rows 0 and 1 point one way, 2 and 3 the other.
  Eigen::MatrixXd t(4, 2);
  t << 1, 0, 1, 0, -1, 0, -1, 0;
  const auto tied = ml::nearest_neighbours(t, 2);
  CHECK(tied(0, 0) == 1);
  CHECK(tied(0, 1) == 2);  // 2 and 3 both at cosine -1: the smaller index
  CHECK(tied(1, 1) == 2);
  CHECK(tied(2, 0) == 3);
  CHECK(tied(2, 1) == 0);
  CHECK(tied(3, 1) == 0);
}

TEST_CASE("knn: bad input is one clear error", "[knn]") {
  const Eigen::MatrixXd x = randn(10, 3, 1);
  CHECK_THAT(ml_test::error_of<std::invalid_argument>([&] { ml::mutual_knn(x, randn(11, 3, 2), 3); }),
             Contains("10 and 11 rows"));
  CHECK_THAT(ml_test::error_of<std::invalid_argument>([&] { ml::mutual_knn(x.topRows(2), x.topRows(2), 1); }),
             Contains("at least 3"));
  CHECK_THAT(ml_test::error_of<std::invalid_argument>([&] { ml::mutual_knn(x, x, 10); }), Contains("k = 10"));
  CHECK_THAT(ml_test::error_of<std::invalid_argument>([&] { ml::mutual_knn(x, x, 0); }), Contains("k = 0"));
  Eigen::MatrixXd m(3, 2);
  m << 1, 2, 3, 4, 2, 3;  // row 2 is the column means
  CHECK_THAT(ml_test::error_of<std::invalid_argument>([&] { ml::mutual_knn(randn(3, 2, 4), m, 1, "a.npy", "b.npy"); }),
             Contains("b.npy row 2"));
  // A constant column centres to zero and changes nothing.
  Eigen::MatrixXd with_constant(10, 4);
  with_constant << x, Eigen::VectorXd::Constant(10, 7.0);
  const Eigen::MatrixXd y = randn(10, 3, 5);
  CHECK(ml::mutual_knn(with_constant, y, 3) == ml::mutual_knn(x, y, 3));
}
