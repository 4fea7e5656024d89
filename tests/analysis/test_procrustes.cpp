// The generalized shape metric against netrep's recipe written out in the test:
// zero-pad, centre, whiten with the eigen-decomposition of X^T X taken from a full
// Jacobi SVD of the padded p x p problem (the library goes through the smaller
// gram and never pads), align through the SVD of Xw^T Yw, then the angle.
// Eigen's AVX-512 kernels trip GCC 12's -Wmaybe-uninitialized inside avx512fintrin.h
// (a false positive in system code inlined into ours; see CMakeLists.txt).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "analysis/procrustes.h"
#include "analysis_test_util.h"
#include "test_util.h"

using Catch::Matchers::Contains;
using ml_test::randn;

namespace {

// Centred, zero-padded to `width` columns, with plain loops.
Eigen::MatrixXd centred_padded(const Eigen::MatrixXd& x, Eigen::Index width) {
  Eigen::MatrixXd out = Eigen::MatrixXd::Zero(x.rows(), width);
  for (Eigen::Index j = 0; j < x.cols(); ++j) {
    double mean = 0;
    for (Eigen::Index i = 0; i < x.rows(); ++i) mean += x(i, j);
    mean /= static_cast<double>(x.rows());
    for (Eigen::Index i = 0; i < x.rows(); ++i) out(i, j) = x(i, j) - mean;
  }
  return out;
}

// netrep's whiten(): Z = V diag(alpha + (1 - alpha) / sqrt(max(lambda, floor))) V^T,
// lambda the eigenvalues of X^T X (the squared singular values, zero past the rank),
// floor 1e-10 of the largest (the documented choice).
Eigen::MatrixXd whitened(const Eigen::MatrixXd& x, double alpha) {
  if (alpha == 1.0) return x;
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(x, Eigen::ComputeFullV);
  const Eigen::Index w = x.cols();
  Eigen::VectorXd lambda = Eigen::VectorXd::Zero(w);
  for (Eigen::Index i = 0; i < svd.singularValues().size(); ++i) lambda(i) = svd.singularValues()(i) * svd.singularValues()(i);
  const double floor = 1e-10 * lambda.maxCoeff();
  Eigen::VectorXd d(w);
  for (Eigen::Index i = 0; i < w; ++i) d(i) = alpha + (1 - alpha) / std::sqrt(std::max(lambda(i), floor));
  return x * (svd.matrixV() * d.asDiagonal() * svd.matrixV().transpose());
}

double oracle(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, double alpha) {
  const Eigen::Index w = std::max(x.cols(), y.cols());
  const Eigen::MatrixXd xw = whitened(centred_padded(x, w), alpha), yw = whitened(centred_padded(y, w), alpha);
  Eigen::MatrixXd m = Eigen::MatrixXd::Zero(w, w);
  double nx = 0, ny = 0;
  for (Eigen::Index i = 0; i < x.rows(); ++i)
    for (Eigen::Index a = 0; a < w; ++a) {
      nx += xw(i, a) * xw(i, a);
      ny += yw(i, a) * yw(i, a);
      for (Eigen::Index b = 0; b < w; ++b) m(a, b) += xw(i, a) * yw(i, b);
    }
  // The best rotation aligns Xw with Yw: tr(R^T Xw^T Yw) at most the nuclear norm.
  const Eigen::JacobiSVD<Eigen::MatrixXd> svd(m);
  return std::acos(std::min(1.0, svd.singularValues().sum() / std::sqrt(nx * ny)));
}

struct Shape {
  Eigen::Index n, p, q;
};

}  // namespace

TEST_CASE("procrustes: netrep's recipe, three shapes, alpha 1, 0.5, 0", "[procrustes]") {
  // Narrow; A wider than tall (padding, an N x N gram); B wider than tall.
  for (const Shape s : {Shape{40, 6, 9}, Shape{25, 40, 7}, Shape{30, 12, 45}}) {
    const Eigen::MatrixXd x = randn(s.n, s.p, 3);
    const Eigen::MatrixXd y = x.leftCols(std::min(s.p, s.q)) * randn(std::min(s.p, s.q), s.q, 4) +
                              1.5 * randn(s.n, s.q, 5) + Eigen::MatrixXd::Constant(s.n, s.q, 2.0);
    for (double alpha : {1.0, 0.5, 0.0}) {
      INFO("N " << s.n << " p " << s.p << " q " << s.q << " alpha " << alpha);
      const double want = oracle(x, y, alpha), got = ml::procrustes_distance(x, y, alpha).distance;
      CHECK(want > 0.05);  // far from 0: the comparison has something to compare
      CHECK(std::fabs(got - want) <= 1e-6 * want);
    }
  }
}

TEST_CASE("procrustes: identical inputs are at distance 0", "[procrustes]") {
  for (const Shape s : {Shape{30, 5, 5}, Shape{10, 25, 25}}) {
    const Eigen::MatrixXd x = randn(s.n, s.p, 8);
    for (double alpha : {1.0, 0.3, 0.0}) CHECK(ml::procrustes_distance(x, x, alpha).distance < 1e-6);
  }
}

TEST_CASE("procrustes: the note says when whitening saturates", "[procrustes]") {
  const Eigen::MatrixXd wide = randn(12, 20, 1), narrow = randn(12, 4, 2);
  CHECK(ml::procrustes_distance(wide, narrow, 1.0).note.empty());
  CHECK(ml::procrustes_distance(narrow, narrow * 2.0 + randn(12, 4, 3), 0.0).note.empty());
  CHECK_THAT(ml::procrustes_distance(wide, narrow, 0.0).note, Contains("A spans all 11 centred directions"));
  CHECK_THAT(ml::procrustes_distance(narrow, wide, 0.5).note, Contains("B spans all 11"));
}

TEST_CASE("procrustes: bad input is one clear error", "[procrustes]") {
  const Eigen::MatrixXd x = randn(10, 3, 1);
  CHECK_THAT(ml_test::error_of<std::invalid_argument>([&] { ml::procrustes_distance(x, randn(11, 3, 2)); }),
             Contains("10 and 11 rows"));
  CHECK_THAT(ml_test::error_of<std::invalid_argument>([&] { ml::procrustes_distance(x.topRows(2), x.topRows(2)); }),
             Contains("at least 3"));
  CHECK_THAT(ml_test::error_of<std::invalid_argument>([&] { ml::procrustes_distance(x, x, 1.5); }),
             Contains("alpha"));
  CHECK_THAT(ml_test::error_of<std::invalid_argument>([&] { ml::procrustes_distance(x, x, -0.1); }),
             Contains("alpha"));
  const Eigen::MatrixXd flat = Eigen::MatrixXd::Constant(10, 3, 4.0);
  for (double alpha : {1.0, 0.0})
    CHECK_THAT(ml_test::error_of<std::invalid_argument>([&] { ml::procrustes_distance(x, flat, alpha, "a.npy", "b.npy"); }),
               Contains("b.npy has no variance"));
  // A constant column centres to zero and changes nothing.
  Eigen::MatrixXd with_constant(10, 4);
  with_constant << x, Eigen::VectorXd::Constant(10, 7.0);
  const Eigen::MatrixXd y = randn(10, 3, 5);
  CHECK(std::fabs(ml::procrustes_distance(with_constant, y).distance - ml::procrustes_distance(x, y).distance) < 1e-12);
  CHECK(ml::procrustes_metric(1.0) == "procrustes");
  CHECK(ml::procrustes_metric(0.5) == "procrustes_alpha_0.5");
}
