// The symmetric product A A^T (rows of A as vectors), the workhorse of RDMs and
// kernel CKA: only the lower block triangle is computed (half the flops of a
// general GEMM), in blocks spread over the OpenMP threads.
//
// Two precisions:
//   double  every product and sum in double (rounding ~1e-16 relative);
//   mixed   the products in float32 GEMMs over short blocks of kMixedBlock (128)
//           features (row_gram) or kMixedColumnBlock (256) examples
//           (column_gram), each block's result added
//           into a double accumulator. The float inputs carry ~6e-8 relative
//           rounding and a float sum of 128 terms adds ~1e-8 of the block's
//           magnitude, so an entry of the gram of unit-norm rows is off by ~1e-8
//           typically; the worst entry we measured is 9.2e-8 (correlation
//           RDM, N = 10000, D = 512: max |diff| vs numpy float64 in
//           benchmarks/RESULTS.md). About 2x the throughput of double.
#pragma once
#include <functional>

#include <Eigen/Dense>

namespace ml {

// Terms per float32 block in the mixed precision (features for row_gram, examples
// for column_gram); the block sums are added in double.
inline constexpr Eigen::Index kMixedBlock = 128;
inline constexpr Eigen::Index kMixedColumnBlock = 256;

// n x n, G(i, j) = <row i, row j>. mixed: see above. Exactly symmetric.
Eigen::MatrixXd row_gram(const Eigen::MatrixXd& a, bool mixed = false);

// The same product for a wide A (N x D, D >> N: a conv map on 1000 images), in
// double: the lower block triangle spread over the threads, its diagonal blocks
// as rank updates (half a GEMM's work), every product reading A's rows in place
// (row_gram's transposed copy of A costs as much as the products at this shape;
// 2x faster at N = 1000, D = 9216). Exactly symmetric.
Eigen::MatrixXd row_gram_wide(const Eigen::MatrixXd& a);

// The lower block triangle of G = A A^T, tile by tile, so that a caller can turn
// each tile into its result (1 - G, distances, ...) while it is still in cache
// instead of making extra passes over an n x n matrix. tile(r, c) =
// G(i0 + r, j0 + c), i0 >= j0; on the diagonal tiles (i0 == j0) only the lower
// triangle (r >= c) is meant to be used (its upper half may differ in the last
// bits). fn runs on several OpenMP threads at once, each call on a different tile.
using GramTileFn = std::function<void(Eigen::Index i0, Eigen::Index j0, const Eigen::MatrixXd& tile)>;
void for_each_row_gram_tile(const Eigen::MatrixXd& a, bool mixed, const GramTileFn& fn);

// d x d, G = Z^T Z for a tall Z (examples x features, examples >> features),
// summed in double. double: each thread takes a share of the rows and
// accumulates a symmetric rank-k update (syrk) into its own matrix; the shares
// are summed. mixed: row panels of the lower triangle are spread over the
// threads, each formed by float32 GEMMs over kMixedColumnBlock examples added in double (about
// twice as fast; relative error ~1e-7 per entry). Exactly symmetric.
Eigen::MatrixXd column_gram(const Eigen::MatrixXd& z, bool mixed = false);
// The same from float32 data (what the mixed path casts z to).
Eigen::MatrixXd column_gram_mixed(const Eigen::MatrixXf& z);

// The power of two 2^-e with 2^(e-1) <= m < 2^e (1 for m = 0 or not finite):
// data whose largest |value| is m, multiplied by it (exactly), lie in (-1, 1),
// so that no product or sum of squares of them overflows float or double. For
// the measures that do not depend on the data's scale (CKA, correlation), or
// that are scaled back (Euclidean distances).
double power_of_two_scale(double m);

// Squared Euclidean distances between rows from a gram matrix:
// D(i, j) = max(G(i,i) + G(j,j) - 2 G(i,j), 0), zero diagonal. In place.
void gram_to_squared_distances(Eigen::MatrixXd& g);

}  // namespace ml
