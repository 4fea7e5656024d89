// Comparing two RDMs over their upper triangles (diagonal excluded), the
// measures rsatoolbox offers:
//   spearman       Pearson correlation of the ranks (ties get their average rank)
//   pearson        Pearson correlation of the values
//   kendall-tau-a  (concordant - discordant pairs) / (n (n - 1) / 2), ties not
//                  corrected (a tie counts as neither), as RSA uses it;
//                  O(n log n) (Knight's merge-sort count)
//   rho-a          1 - 6 sum d^2 / (n^3 - n) over average ranks (rsatoolbox's rho_a)
//   cosine         cosine of the angle between the two value vectors (uncentred)
#pragma once
#include <string>
#include <vector>

#include <Eigen/Dense>

namespace ml {

enum class RdmComparison { spearman, pearson, kendall_tau_a, rho_a, cosine };

// "spearman", "pearson", "kendall-tau-a", "rho-a" or "cosine"; else throws
// std::invalid_argument naming the value.
RdmComparison parse_rdm_comparison(const std::string& name);
std::string rdm_comparison_name(RdmComparison m);

// The strict upper triangle, row by row: (0,1), (0,2), ..., (1,2), ...
std::vector<double> upper_triangle(const Eigen::MatrixXd& m);

// Ranks 1..n, ties get the mean of the ranks they span.
std::vector<double> average_ranks(const std::vector<double>& v);

double pearson_correlation(const std::vector<double>& a, const std::vector<double>& b);
double spearman_correlation(const std::vector<double>& a, const std::vector<double>& b);
double kendall_tau_a(const std::vector<double>& a, const std::vector<double>& b);
double rho_a(const std::vector<double>& a, const std::vector<double>& b);
double cosine_similarity(const std::vector<double>& a, const std::vector<double>& b);

double compare_vectors(const std::vector<double>& a, const std::vector<double>& b, RdmComparison method);

// Why `method` between the dissimilarities v and any others is undefined, or ""
// when it is defined: Pearson and Spearman of a constant v ("the RDM is constant
// ..."), cosine of an all-zero v. Kendall tau-a and rho-a are always defined.
std::string comparison_undefined(const std::vector<double>& v, RdmComparison method);

// Both square and of the same size (std::invalid_argument otherwise), then
// compare_vectors over the upper triangles; std::invalid_argument ("RDM A: the
// RDM is constant ...") where comparison_undefined says so.
double compare_rdms(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, RdmComparison method);

}  // namespace ml
