// Centered kernel alignment (Kornblith, Norouzi, Lee & Hinton 2019) between two
// representations of the same N examples (rows), with any feature counts.
//
//   HSIC(K, L) = tr(K H L H) / (n - 1)^2 (biased), CKA = HSIC(K,L) / sqrt(HSIC(K,K) HSIC(L,L))
//   linear:  K = X X^T; computed in feature space, ||Y^T X||_F^2 / (||X^T X||_F ||Y^T Y||_F)
//            for column-centred X, Y (never an N x N matrix)
//   rbf:     K_ij = exp(-|x_i - x_j|^2 / (2 sigma^2)), sigma^2 = scale^2 * median of the
//            N x N squared distances (diagonal zeros included, as np.median over the
//            whole matrix in Kornblith's tutorial)
//   debiased: the unbiased HSIC estimator of Song et al. 2012 (needs n >= 4)
//   minibatch: Nguyen, Raghu & Kornblith 2021: unbiased HSIC averaged over minibatches
//            of a seeded random order, CKA = mean HSIC(K,L) / sqrt(mean HSIC(K,K) mean HSIC(L,L))
// All sums in double (with mixed: float32 products over blocks of 128-256 terms, each
// block's sum added in double); features centred first, and each input scaled by a power
// of two to |values| < 1 (cka_centred), so inputs near the float range (1e19..3e38, whose
// squares and squared norms overflow) give the same CKA as small ones. Throws
// std::invalid_argument when the row counts differ or n is too small, and CkaUndefined
// when a side leaves CKA undefined.
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <Eigen/Dense>

namespace ml {

enum class CkaKernel { linear, rbf };

// CKA is undefined because one input has nothing left to compare: its centred gram
// is zero (every row the same), its RBF bandwidth is zero (most rows the same), or
// its unbiased HSIC with itself is not positive. side: 0 for x (A), 1 for y (B);
// index: the representation's place in linear_cka_matrix's list (0 elsewhere), so
// that a caller can name the file.
struct CkaUndefined : std::invalid_argument {
  CkaUndefined(int which_side, std::size_t which_index, const std::string& why)
      : std::invalid_argument(why), side(which_side), index(which_index) {}
  int side;
  std::size_t index;
};

// x with each column centred, scaled by a power of two (exact) so that its largest
// |value| lies in [0.5, 1): CKA does not change when either side is scaled, and
// every gram entry, squared norm and product of two then stays inside the float
// and double range. A column whose values are all equal becomes exact zeros (its
// mean, rounded, need not equal the value).
Eigen::MatrixXd cka_centred(const Eigen::MatrixXd& x);
CkaKernel parse_cka_kernel(const std::string& name);  // "linear" or "rbf"

// Linear CKA in feature space (O(N D^2)); debiased uses Song's estimator in its
// feature-space form. mixed: the D x D products in float32 over blocks of 256
// examples, each block summed into double (column_gram_mixed on [X Y] centred in
// double and rounded once; ~1.5-2x faster, agrees with the all-double value to
// ~1e-8; off by default in the library, ml-analyze's --precision auto picks it
// for large inputs).
double linear_cka(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, bool debiased = false, bool mixed = false);

// RBF CKA; forms the N(N-1)/2 pairwise distances (packed lower triangle, each
// gram tile turned into distances as it is formed), never the kernels: one pass
// of exp over each pair gives every sum the (biased or unbiased) HSICs need.
// mixed: the gram products as float32 GEMMs over blocks of 128 features summed in
// double (analysis/gram.h; ~2x faster). The distances then carry ~1e-7 of the
// squared row norms, the bandwidth (a median of them) likewise, and CKA moves by
// ~1e-8 (measured: N = 5000, D = 512, see benchmarks/RESULTS.md).
double rbf_cka(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, double scale, bool debiased = false,
               bool mixed = false);

// Minibatch CKA over batches of `batch` rows of a random order drawn from seed
// (the last, smaller batch is used when it has >= 4 rows). Unbiased HSIC per batch.
double minibatch_cka(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, CkaKernel kernel, int64_t batch,
                     double scale = 0.5, uint64_t seed = 1);

// rows x cols linear CKA between every representation in a and every one in b
// (all with the same N). For N <= 4096 each representation's centred N x N gram
// is formed once and every pair is one inner product; otherwise linear_cka per pair.
Eigen::MatrixXd linear_cka_matrix(const std::vector<Eigen::MatrixXd>& a, const std::vector<Eigen::MatrixXd>& b,
                                  bool debiased = false);

// Reference forms on explicit kernels (tests, small N).
Eigen::MatrixXd linear_gram(const Eigen::MatrixXd& x);
Eigen::MatrixXd rbf_gram(const Eigen::MatrixXd& x, double scale);
// Kornblith's center_gram + cka: biased (H K H) or unbiased centring.
double gram_cka(const Eigen::MatrixXd& k, const Eigen::MatrixXd& l, bool debiased);
// Song et al. 2012 unbiased HSIC:
// [tr(K~L~) + 1'K~1 1'L~1 / ((n-1)(n-2)) - 2/(n-2) 1'K~L~1] / (n (n-3)), K~ = K with zero diagonal.
double hsic_unbiased(const Eigen::MatrixXd& k, const Eigen::MatrixXd& l);

}  // namespace ml
