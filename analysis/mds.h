// Classical (Torgerson) multidimensional scaling: points whose Euclidean
// distances best match a dissimilarity matrix. B = -1/2 J D^2 J (D^2 the
// entrywise squares, J the centring matrix); coordinates are the top
// eigenvectors of B scaled by the square roots of their (non-negative) eigenvalues.
#pragma once
#include <Eigen/Dense>

namespace ml {

struct MdsResult {
  Eigen::MatrixXd coordinates;  // n x dims; each column's largest |value| positive
  Eigen::VectorXd eigenvalues;  // of B, descending, all n of them
  double explained = 0;         // sum of the first dims positive eigenvalues / sum of all positive ones
};

// d must be square, symmetric (to 1e-9 relative) and finite; throws std::invalid_argument otherwise.
MdsResult classical_mds(const Eigen::MatrixXd& d, int dims = 2);

}  // namespace ml
