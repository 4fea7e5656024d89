// Eigen's AVX-512 kernels trip GCC 12's -Wmaybe-uninitialized inside avx512fintrin.h
// (a false positive in system code inlined into ours; see CMakeLists.txt).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "analysis/rdm_compare.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <stdexcept>
#include <utility>

namespace ml {

RdmComparison parse_rdm_comparison(const std::string& name) {
  if (name == "spearman") return RdmComparison::spearman;
  if (name == "pearson") return RdmComparison::pearson;
  if (name == "kendall-tau-a") return RdmComparison::kendall_tau_a;
  if (name == "rho-a") return RdmComparison::rho_a;
  if (name == "cosine") return RdmComparison::cosine;
  throw std::invalid_argument("--method '" + name + "': expected spearman, pearson, kendall-tau-a, rho-a or cosine");
}

std::string rdm_comparison_name(RdmComparison m) {
  switch (m) {
    case RdmComparison::spearman: return "spearman";
    case RdmComparison::pearson: return "pearson";
    case RdmComparison::kendall_tau_a: return "kendall_tau_a";
    case RdmComparison::rho_a: return "rho_a";
    case RdmComparison::cosine: return "cosine";
  }
  return "?";
}

std::vector<double> upper_triangle(const Eigen::MatrixXd& m) {
  const Eigen::Index n = m.rows();
  std::vector<double> v;
  v.reserve(static_cast<size_t>(n * (n - 1) / 2));
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = i + 1; j < n; ++j) v.push_back(m(i, j));
  return v;
}

std::vector<double> average_ranks(const std::vector<double>& v) {
  std::vector<size_t> order(v.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> ranks(v.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    const double r = 0.5 * static_cast<double>(i + j) + 1.0;  // mean of ranks i+1 .. j+1
    for (size_t k = i; k <= j; ++k) ranks[order[k]] = r;
    i = j + 1;
  }
  return ranks;
}

namespace {

void require_same_size(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size())
    throw std::invalid_argument("vectors of different lengths: " + std::to_string(a.size()) + " and " +
                                std::to_string(b.size()));
  if (a.size() < 2) throw std::invalid_argument("need at least 2 values to compare, got " + std::to_string(a.size()));
}

// Merge sort of v counting the pairs i < j with v[i] > v[j] (strict), the
// discordant pairs once the other variable is sorted.
int64_t count_inversions(std::vector<double>& v, std::vector<double>& tmp, size_t lo, size_t hi) {
  if (hi - lo < 2) return 0;
  const size_t mid = lo + (hi - lo) / 2;
  int64_t swaps = count_inversions(v, tmp, lo, mid) + count_inversions(v, tmp, mid, hi);
  size_t i = lo, j = mid, k = lo;
  while (i < mid && j < hi) {
    if (v[j] < v[i]) {
      swaps += static_cast<int64_t>(mid - i);
      tmp[k++] = v[j++];
    } else {
      tmp[k++] = v[i++];
    }
  }
  while (i < mid) tmp[k++] = v[i++];
  while (j < hi) tmp[k++] = v[j++];
  std::copy(tmp.begin() + static_cast<std::ptrdiff_t>(lo), tmp.begin() + static_cast<std::ptrdiff_t>(hi),
            v.begin() + static_cast<std::ptrdiff_t>(lo));
  return swaps;
}

// Sum over groups of equal values of g (g - 1) / 2, for a sorted range.
template <class Equal>
int64_t tied_pairs(size_t n, Equal equal) {
  int64_t pairs = 0, run = 1;
  for (size_t i = 1; i <= n; ++i) {
    if (i < n && equal(i - 1, i)) {
      ++run;
    } else {
      pairs += run * (run - 1) / 2;
      run = 1;
    }
  }
  return pairs;
}

}  // namespace

double pearson_correlation(const std::vector<double>& a, const std::vector<double>& b) {
  require_same_size(a, b);
  const size_t n = a.size();
  double ma = 0, mb = 0;
  for (size_t i = 0; i < n; ++i) ma += a[i], mb += b[i];
  ma /= static_cast<double>(n), mb /= static_cast<double>(n);
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < n; ++i) {
    const double da = a[i] - ma, db = b[i] - mb;
    sab += da * db, saa += da * da, sbb += db * db;
  }
  return sab / std::sqrt(saa * sbb);  // NaN when either is constant, as numpy
}

double spearman_correlation(const std::vector<double>& a, const std::vector<double>& b) {
  require_same_size(a, b);
  return pearson_correlation(average_ranks(a), average_ranks(b));
}

double kendall_tau_a(const std::vector<double>& a, const std::vector<double>& b) {
  require_same_size(a, b);
  const size_t n = a.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t i, size_t j) { return a[i] < a[j] || (a[i] == a[j] && b[i] < b[j]); });
  std::vector<double> sa(n), sb(n);
  for (size_t i = 0; i < n; ++i) sa[i] = a[order[i]], sb[i] = b[order[i]];
  const int64_t ties_a = tied_pairs(n, [&](size_t i, size_t j) { return sa[i] == sa[j]; });
  const int64_t ties_ab = tied_pairs(n, [&](size_t i, size_t j) { return sa[i] == sa[j] && sb[i] == sb[j]; });
  std::vector<double> tmp(n);
  const int64_t discordant = count_inversions(sb, tmp, 0, n);  // sb is sorted afterwards
  const int64_t ties_b = tied_pairs(n, [&](size_t i, size_t j) { return sb[i] == sb[j]; });
  const int64_t total = static_cast<int64_t>(n) * static_cast<int64_t>(n - 1) / 2;
  // Pairs tied in neither: total - ties_a - ties_b + ties_ab = concordant + discordant.
  const int64_t concordant = total - ties_a - ties_b + ties_ab - discordant;
  return static_cast<double>(concordant - discordant) / static_cast<double>(total);
}

double rho_a(const std::vector<double>& a, const std::vector<double>& b) {
  require_same_size(a, b);
  const std::vector<double> ra = average_ranks(a), rb = average_ranks(b);
  double sum = 0;
  for (size_t i = 0; i < ra.size(); ++i) sum += (ra[i] - rb[i]) * (ra[i] - rb[i]);
  const double n = static_cast<double>(ra.size());
  return 1.0 - 6.0 * sum / (n * n * n - n);
}

double cosine_similarity(const std::vector<double>& a, const std::vector<double>& b) {
  require_same_size(a, b);
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < a.size(); ++i) ab += a[i] * b[i], aa += a[i] * a[i], bb += b[i] * b[i];
  return ab / std::sqrt(aa * bb);
}

double compare_vectors(const std::vector<double>& a, const std::vector<double>& b, RdmComparison method) {
  switch (method) {
    case RdmComparison::spearman: return spearman_correlation(a, b);
    case RdmComparison::pearson: return pearson_correlation(a, b);
    case RdmComparison::kendall_tau_a: return kendall_tau_a(a, b);
    case RdmComparison::rho_a: return rho_a(a, b);
    case RdmComparison::cosine: return cosine_similarity(a, b);
  }
  throw std::invalid_argument("unknown RDM comparison");
}

std::string comparison_undefined(const std::vector<double>& v, RdmComparison method) {
  if (v.empty()) return "";
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  if ((method == RdmComparison::spearman || method == RdmComparison::pearson) && *lo == *hi) {
    char value[32];
    std::snprintf(value, sizeof value, "%.12g", *lo);
    return std::string("the RDM is constant (every dissimilarity is ") + value +
           "), a correlation with it is undefined";
  }
  if (method == RdmComparison::cosine && *lo == 0 && *hi == 0)
    return "the RDM is all zeros, its cosine with another is undefined";
  return "";
}

double compare_rdms(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, RdmComparison method) {
  if (a.rows() != a.cols() || b.rows() != b.cols())
    throw std::invalid_argument("an RDM must be square: got " + std::to_string(a.rows()) + " x " +
                                std::to_string(a.cols()) + " and " + std::to_string(b.rows()) + " x " +
                                std::to_string(b.cols()));
  if (a.rows() != b.rows())
    throw std::invalid_argument("RDMs of different sizes: " + std::to_string(a.rows()) + " and " +
                                std::to_string(b.rows()) + " conditions");
  if (a.rows() < 3) throw std::invalid_argument("RDMs need at least 3 conditions (2 dissimilarities) to compare");
  const std::vector<double> ua = upper_triangle(a), ub = upper_triangle(b);
  for (const auto& [v, name] : {std::pair{&ua, "A"}, std::pair{&ub, "B"}}) {
    const std::string why = comparison_undefined(*v, method);
    if (!why.empty()) throw std::invalid_argument(std::string("RDM ") + name + ": " + why);
  }
  return compare_vectors(ua, ub, method);
}

}  // namespace ml
