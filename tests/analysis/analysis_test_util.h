// Helpers for the analysis tests: seeded Gaussian matrices, a random
// orthogonal matrix, the fixture directory.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>

#include <Eigen/Dense>

namespace ml_test {

inline Eigen::MatrixXd randn(Eigen::Index rows, Eigen::Index cols, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> dist(0.0, 1.0);
  Eigen::MatrixXd m(rows, cols);
  for (Eigen::Index j = 0; j < cols; ++j)
    for (Eigen::Index i = 0; i < rows; ++i) m(i, j) = dist(gen);
  return m;
}

// Q of a QR decomposition of a Gaussian matrix: orthogonal, n x n.
inline Eigen::MatrixXd random_orthogonal(Eigen::Index n, uint32_t seed) {
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(randn(n, n, seed));
  return qr.householderQ() * Eigen::MatrixXd::Identity(n, n);
}

inline std::string source_dir() {
  const char* s = std::getenv("ML_SOURCE_DIR");
  return s ? s : "../..";
}

}  // namespace ml_test
