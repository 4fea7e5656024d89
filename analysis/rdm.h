// Representational dissimilarity matrices, as rsatoolbox defines them:
//   correlation  1 - r between two rows (each row centred over its features)
//   euclidean    squared Euclidean distance / number of features
//   cosine       1 - cos(angle) between two rows
// Rows are conditions (images or classes), columns features. Sums in double;
// squared distances that rounding makes negative are clamped to 0; the
// diagonal is exactly 0; the matrix is exactly symmetric.
//
// Precision: mixed = false forms the N x N products in double. mixed =
// true forms them as float32 GEMMs over blocks of 128 features, each block added
// in double (analysis/gram.h): about twice as fast, and for correlation and
// cosine (rows centred / normalised in double first, values in [0, 2]) every
// entry within ~1e-7 of the all-double RDM (max 9.2e-8 measured at N = 10000,
// D = 512, see benchmarks/RESULTS.md). For euclidean the error is relative (~1e-7 of the
// squared row norms), so it scales with the data. ml-analyze picks mixed for
// large correlation/cosine RDMs (--precision auto); the library default is double.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Dense>

namespace ml {

enum class RdmDistance { correlation, euclidean, cosine };

// "correlation", "euclidean" or "cosine"; anything else throws
// std::invalid_argument naming the value.
RdmDistance parse_rdm_distance(const std::string& name);
std::string rdm_distance_name(RdmDistance d);

// N x N RDM of the rows of x. correlation/cosine throw std::invalid_argument
// naming the first row with zero variance / zero norm (the distance is undefined).
// x is first scaled by a power of two (exact) to |values| < 1 and euclidean scaled
// back at the end, so that values near the float range (1e19..3e38, whose squares
// overflow float, or double's sums of them) give the right distances in either precision.
Eigen::MatrixXd compute_rdm(const Eigen::MatrixXd& x, RdmDistance distance, bool mixed = false);

// The first row whose distance to the others is undefined, or -1: for correlation
// a row whose values are all equal (zero variance; tested exactly, since the mean
// of equal values need not round back to them), for cosine a row of zeros.
// Euclidean has none.
Eigen::Index first_undefined_row(const Eigen::MatrixXd& x, RdmDistance distance);

// Why that row's distance is undefined: "has zero variance (all its values are
// equal)" or "is all zeros".
std::string undefined_row_reason(RdmDistance distance);

// The correlation RDM from the gram G = X X^T of the N x D data X (double) and X's
// row means: rows centred over the features, <x_i - m_i, x_j - m_j> = G_ij - D m_i m_j.
// The same numbers as compute_rdm(x, correlation) to ~1e-12 (for a caller that
// needs the gram anyway: one N x N product instead of two); the same error.
// With constant_rows given, a row of zero variance is not an error: its correlation with any
// other row is taken as 0 (distance 1: a flat pattern resembles nothing), and its index is
// appended to *constant_rows, so the caller can say how many images the fallback touched.
Eigen::MatrixXd correlation_rdm_from_gram(const Eigen::MatrixXd& gram, const Eigen::VectorXd& row_means,
                                          Eigen::Index features, std::vector<Eigen::Index>* constant_rows = nullptr);

// The mean row per class (classes in ascending order, written to classes).
// labels.size() must equal x.rows().
Eigen::MatrixXd class_means(const Eigen::MatrixXd& x, const std::vector<int64_t>& labels,
                            std::vector<int64_t>* classes);

}  // namespace ml
