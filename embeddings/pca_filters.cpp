#include "embeddings/pca_filters.h"

#include <Eigen/Dense>
#include <cmath>
#include <stdexcept>
#include <string>

namespace ml {

PatchPca patch_pca(const std::vector<float>& patches, int n, int D) {
  if (n < 2 || D < 1 || patches.size() != static_cast<size_t>(n) * D) {
    throw std::invalid_argument("pca: " + std::to_string(patches.size()) + " values are not " + std::to_string(n) +
                                " (>= 2) patches of " + std::to_string(D));
  }
  const Eigen::MatrixXd X =
      Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(patches.data(), n, D)
          .cast<double>();
  const Eigen::RowVectorXd mean = X.colwise().mean();
  const Eigen::MatrixXd centered = X.rowwise() - mean;
  const Eigen::MatrixXd cov = (centered.transpose() * centered) / n;
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(cov);
  if (eig.info() != Eigen::Success) throw std::runtime_error("pca: the eigendecomposition did not converge");

  PatchPca out;
  out.D = D;
  out.mean.assign(mean.data(), mean.data() + D);
  out.components.resize(static_cast<size_t>(D) * D);
  out.eigenvalues.resize(D);
  for (int i = 0; i < D; ++i) {
    const int col = D - 1 - i;  // Eigen sorts increasing
    Eigen::VectorXd v = eig.eigenvectors().col(col);
    Eigen::Index arg;
    v.cwiseAbs().maxCoeff(&arg);
    if (v(arg) < 0) v = -v;
    out.eigenvalues[i] = std::max(0.0, eig.eigenvalues()(col));
    for (int j = 0; j < D; ++j) out.components[static_cast<size_t>(i) * D + j] = v(j);
  }
  return out;
}

std::vector<float> pca_filters(const PatchPca& pca, int K) {
  const int D = pca.D;
  std::vector<float> w(static_cast<size_t>(K) * D);
  for (int k = 0; k < K; ++k) {
    const int c = k % D;
    const double sign = (k / D) % 2 == 0 ? 1.0 : -1.0;
    for (int j = 0; j < D; ++j) w[static_cast<size_t>(k) * D + j] = static_cast<float>(sign * pca.components[static_cast<size_t>(c) * D + j]);
  }
  return w;
}

}  // namespace ml
