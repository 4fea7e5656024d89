// The symmetric product A A^T (rows of A as vectors), the workhorse of RDMs and
// kernel CKA: only the lower block triangle is computed (half the flops of a
// general GEMM), in blocks spread over the OpenMP threads, each block mirrored
// into the upper triangle as it is done.
#pragma once
#include <Eigen/Dense>

namespace ml {

// n x n, G(i, j) = <row i, row j>, summed in double.
Eigen::MatrixXd row_gram(const Eigen::MatrixXd& a);

// d x d, G = Z^T Z for a tall Z (examples x features, examples >> features):
// each thread takes a share of the rows and accumulates a symmetric rank-k
// update (syrk) into its own matrix; the shares are summed in double.
// mixed = true: the products are formed in float32 over chunks of at most 1024
// rows and each chunk's result is added in double (about twice as fast;
// relative error ~1e-7 per entry instead of ~1e-16). Exactly symmetric.
Eigen::MatrixXd column_gram(const Eigen::MatrixXd& z, bool mixed = false);

// Squared Euclidean distances between rows from a gram matrix:
// D(i, j) = max(G(i,i) + G(j,j) - 2 G(i,j), 0), zero diagonal. In place.
void gram_to_squared_distances(Eigen::MatrixXd& g);

}  // namespace ml
