// An image whose recorded activations are constant (all zero after a ReLU) has
// no correlation distance. The study must not let that layer drop out of its
// RSA silently: the named fallback (distance 1 to every other image) keeps the
// RDM, the other entries are the ordinary correlation distances (checked
// against a naive double loop), and the report names the run, layer and count.
#include <cmath>
#include <filesystem>

#include "analysis/gram.h"
#include "analysis/rdm.h"
#include "datasets/npy.h"
#include "study/layer_measures.h"
#include "test_util.h"

namespace {

double naive_correlation_distance(const Eigen::MatrixXd& x, Eigen::Index i, Eigen::Index j) {
  const double mi = x.row(i).mean(), mj = x.row(j).mean();
  double sij = 0, sii = 0, sjj = 0;
  for (Eigen::Index k = 0; k < x.cols(); ++k) {
    sij += (x(i, k) - mi) * (x(j, k) - mj);
    sii += (x(i, k) - mi) * (x(i, k) - mi);
    sjj += (x(j, k) - mj) * (x(j, k) - mj);
  }
  return 1.0 - sij / std::sqrt(sii * sjj);
}

Eigen::MatrixXd activations_with_flat_rows() {
  Eigen::MatrixXd x(7, 5);
  for (Eigen::Index i = 0; i < x.rows(); ++i)
    for (Eigen::Index j = 0; j < x.cols(); ++j) x(i, j) = std::sin(1.3 * static_cast<double>(i * 5 + j) + 0.2);
  x.row(2).setZero();        // a dead ReLU image
  x.row(5).setConstant(3.0);  // constant, not zero
  return x;
}

}  // namespace

TEST_CASE("correlation RDM from the gram: constant rows get distance 1 when the caller asks, and are listed", "[rdm]") {
  const Eigen::MatrixXd x = activations_with_flat_rows();
  const Eigen::MatrixXd gram = x * x.transpose();
  CHECK_THROWS(ml::correlation_rdm_from_gram(gram, x.rowwise().mean(), x.cols()));  // without: still an error
  std::vector<Eigen::Index> constant;
  const Eigen::MatrixXd r = ml::correlation_rdm_from_gram(gram, x.rowwise().mean(), x.cols(), &constant);
  CHECK(constant == std::vector<Eigen::Index>{2, 5});
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    for (Eigen::Index j = 0; j < x.rows(); ++j) {
      INFO(i << ", " << j);
      const bool flat = i == 2 || i == 5 || j == 2 || j == 5;
      const double want = i == j ? 0.0 : flat ? 1.0 : naive_correlation_distance(x, i, j);
      CHECK(std::fabs(r(i, j) - want) < 1e-9);
    }
  }
}

TEST_CASE("the study's layer view keeps a layer with dead images in the RSA, and counts them", "[study]") {
  ml_test::TempDir dir("constant-rows");
  const Eigen::MatrixXd x = activations_with_flat_rows();
  Eigen::MatrixXd y = x;  // a second run: the same images, a slightly different code
  for (Eigen::Index i = 0; i < y.rows(); ++i)
    if (i != 2 && i != 5) y.row(i) += 0.1 * Eigen::RowVectorXd::LinSpaced(y.cols(), -1, 1) * static_cast<double>(i);
  auto save = [&](const std::string& name, const Eigen::MatrixXd& m) {
    const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rows = m;
    ml::write_npy(dir.file(name), rows.data(), {m.rows(), m.cols()});
    return dir.file(name);
  };
  const ml::LayerView a = ml::layer_view(save("a.npy", x), x.rows());
  const ml::LayerView b = ml::layer_view(save("b.npy", y), y.rows());
  CHECK(a.constant_rows == 2);
  REQUIRE(a.rdm.rows() == x.rows());
  std::vector<int64_t> all(static_cast<size_t>(x.rows()));
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
  const double rsa = ml::layer_measure(2, a, b, all);
  CHECK(std::isfinite(rsa));
  CHECK(rsa > 0.5);  // nearly the same code: their RDMs agree
  CHECK(std::fabs(ml::layer_measure(2, a, a, all) - 1.0) < 1e-12);
}
