// Eigen's AVX-512 kernels trip GCC 12's -Wmaybe-uninitialized inside avx512fintrin.h
// (a false positive in system code inlined into ours; see CMakeLists.txt).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "analysis/rdm_bootstrap.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

namespace ml {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The pairs (i, j), i < j, of an upper triangle in some order, kept as coordinates so that
// a resample's weight w_i w_j comes from the N counts (in cache) rather than from an array
// of all pairs read out of order.
struct PairList {
  std::vector<uint32_t> i, j;
  double weight(size_t k, const std::vector<double>& w) const { return w[i[k]] * w[j[k]]; }
};

// The pairs sorted by one RDM's value, equal values as runs: run r is [start[r], start[r + 1]).
struct SortedPairs : PairList {
  std::vector<uint32_t> start, packed;  // packed[k]: the pair's index in upper_triangle's order
};

// The strict upper triangle's coordinates in upper_triangle's order.
PairList upper_pairs(Eigen::Index n) {
  PairList p;
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = i + 1; j < n; ++j) p.i.push_back(static_cast<uint32_t>(i)), p.j.push_back(static_cast<uint32_t>(j));
  return p;
}

SortedPairs sorted_pairs(const std::vector<double>& v, const PairList& upper) {
  SortedPairs s;
  s.packed.resize(v.size());
  std::iota(s.packed.begin(), s.packed.end(), 0u);
  std::sort(s.packed.begin(), s.packed.end(), [&](uint32_t x, uint32_t y) { return v[x] < v[y]; });
  for (size_t k = 0; k < v.size(); ++k) {
    s.i.push_back(upper.i[s.packed[k]]), s.j.push_back(upper.j[s.packed[k]]);
    if (k == 0 || v[s.packed[k]] != v[s.packed[k - 1]]) s.start.push_back(static_cast<uint32_t>(k));
  }
  s.start.push_back(static_cast<uint32_t>(v.size()));
  return s;
}

// Everything about the two upper triangles that does not depend on the resample.
struct Pairs {
  Eigen::Index n = 0;        // conditions
  std::vector<double> a, b;  // the strict upper triangles, row by row (upper_triangle's order)
  SortedPairs by_a, by_b;    // spearman, rho-a: both orders; kendall-tau-a: by_b's runs (ties of b)
  std::vector<uint32_t> b_pos_of_a;  // spearman, rho-a: by_a's k-th pair sits at b_pos_of_a[k] in by_b
  // kendall-tau-a: the pairs in the order of (a, b), where each starts a run of equal a / of equal
  // (a, b), and its rank among b's distinct values.
  PairList by_ab;
  std::vector<uint32_t> rank_b;
  std::vector<uint8_t> new_a, new_ab;
};

Pairs make_pairs(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, RdmComparison method) {
  if (a.rows() != a.cols() || b.rows() != b.cols() || a.rows() != b.rows())
    throw std::invalid_argument("bootstrap RDM comparison: two square RDMs of the same size are needed, got " +
                                std::to_string(a.rows()) + " x " + std::to_string(a.cols()) + " and " +
                                std::to_string(b.rows()) + " x " + std::to_string(b.cols()));
  if (a.rows() < 3) throw std::invalid_argument("RDMs need at least 3 conditions (2 dissimilarities) to compare");
  if (a.rows() > 92681)  // the pairs are counted in uint32
    throw std::invalid_argument("bootstrap RDM comparison: more than 92681 conditions");
  Pairs p;
  p.n = a.rows();
  p.a = upper_triangle(a);
  p.b = upper_triangle(b);
  const bool ranks = method == RdmComparison::spearman || method == RdmComparison::rho_a;
  if (!ranks && method != RdmComparison::kendall_tau_a) return p;
  const PairList upper = upper_pairs(p.n);
  const size_t m = p.a.size();
  p.by_b = sorted_pairs(p.b, upper);
  if (ranks) {
    p.by_a = sorted_pairs(p.a, upper);
    std::vector<uint32_t> pos_in_b(m);
    for (size_t k = 0; k < m; ++k) pos_in_b[p.by_b.packed[k]] = static_cast<uint32_t>(k);
    p.b_pos_of_a.resize(m);
    for (size_t k = 0; k < m; ++k) p.b_pos_of_a[k] = pos_in_b[p.by_a.packed[k]];
    return p;
  }
  std::vector<uint32_t> rank_of(m);
  for (size_t r = 0; r + 1 < p.by_b.start.size(); ++r)
    for (uint32_t k = p.by_b.start[r]; k < p.by_b.start[r + 1]; ++k) rank_of[p.by_b.packed[k]] = static_cast<uint32_t>(r);
  std::vector<uint32_t> order(m);
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) {
    return p.a[x] < p.a[y] || (p.a[x] == p.a[y] && rank_of[x] < rank_of[y]);
  });
  p.rank_b.resize(m), p.new_a.resize(m), p.new_ab.resize(m);
  for (size_t k = 0; k < m; ++k) {
    const uint32_t x = order[k], y = k ? order[k - 1] : 0;
    p.by_ab.i.push_back(upper.i[x]), p.by_ab.j.push_back(upper.j[x]);
    p.rank_b[k] = rank_of[x];
    p.new_a[k] = k == 0 || p.a[x] != p.a[y];
    p.new_ab[k] = p.new_a[k] || rank_of[x] != rank_of[y];
  }
  return p;
}

// One thread's buffers, reused across its resamples.
struct Scratch {
  std::vector<double> w, m, m_a, rank_a, rank_b;
  std::vector<int64_t> weight, merged_weight;
  std::vector<uint32_t> key, merged_key;
};

// Average ranks along s, each pair counted w_i w_j times, less their mean (total + 1) / 2 (exact:
// half-integers): a run of equal values holding weight g after c smaller ones takes the ranks
// c + 1 .. c + g, mean c + (g + 1) / 2. rank[k], weight[k]: s's k-th pair.
void centred_ranks(const SortedPairs& s, const std::vector<double>& w, double total, std::vector<double>& rank,
                   std::vector<double>& weight) {
  rank.resize(s.i.size());
  weight.resize(s.i.size());
  double below = 0;
  const double mean = (total + 1) / 2;
  for (size_t r = 0; r + 1 < s.start.size(); ++r) {
    double g = 0;
    for (uint32_t k = s.start[r]; k < s.start[r + 1]; ++k) g += weight[k] = s.weight(k, w);
    const double centred = below + (g + 1) / 2 - mean;
    for (uint32_t k = s.start[r]; k < s.start[r + 1]; ++k) rank[k] = centred;
    below += g;
  }
}

int64_t pairs_of(int64_t count) { return count * (count - 1) / 2; }

// Weighted discordant pairs of key (earlier entry with a strictly larger key), each entry
// standing for weight copies: a bottom-up merge sort, an entry taken from the right half
// before the left half's remaining entries (all larger) adding weight x their weight.
int64_t weighted_inversions(std::vector<uint32_t>& key, std::vector<int64_t>& weight, Scratch& s) {
  const size_t n = key.size();
  s.merged_key.resize(n), s.merged_weight.resize(n);
  int64_t inversions = 0;
  for (size_t width = 1; width < n; width *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * width) {
      const size_t mid = std::min(lo + width, n), hi = std::min(lo + 2 * width, n);
      int64_t left = 0;  // weight still in the left half
      for (size_t t = lo; t < mid; ++t) left += weight[t];
      size_t i = lo, j = mid, o = lo;
      while (i < mid && j < hi) {
        if (key[j] < key[i]) {
          inversions += weight[j] * left;
          s.merged_key[o] = key[j], s.merged_weight[o++] = weight[j++];
        } else {
          left -= weight[i];
          s.merged_key[o] = key[i], s.merged_weight[o++] = weight[i++];
        }
      }
      for (; i < mid; ++i, ++o) s.merged_key[o] = key[i], s.merged_weight[o] = weight[i];
      for (; j < hi; ++j, ++o) s.merged_key[o] = key[j], s.merged_weight[o] = weight[j];
    }
    key.swap(s.merged_key), weight.swap(s.merged_weight);
  }
  return inversions;
}

// kendall_tau_a's integers on the resampled vector: ties and discordant pairs, each original
// pair standing for w_i w_j copies (the copies of one pair tie on both sides).
double weighted_kendall(const Pairs& p, Scratch& s) {
  int64_t total = 0, ties_a = 0, ties_ab = 0, run_a = 0, run_ab = 0;
  s.key.clear(), s.weight.clear();
  for (size_t k = 0; k < p.by_ab.i.size(); ++k) {
    const int64_t m = static_cast<int64_t>(p.by_ab.weight(k, s.w));
    if (p.new_a[k]) ties_a += pairs_of(run_a), run_a = 0;
    if (p.new_ab[k]) ties_ab += pairs_of(run_ab), run_ab = 0;
    run_a += m, run_ab += m, total += m;
    if (m > 0) s.key.push_back(p.rank_b[k]), s.weight.push_back(m);  // pairs not drawn drop out
  }
  ties_a += pairs_of(run_a), ties_ab += pairs_of(run_ab);
  int64_t ties_b = 0;
  for (size_t r = 0; r + 1 < p.by_b.start.size(); ++r) {
    int64_t g = 0;
    for (uint32_t k = p.by_b.start[r]; k < p.by_b.start[r + 1]; ++k) g += static_cast<int64_t>(p.by_b.weight(k, s.w));
    ties_b += pairs_of(g);
  }
  const int64_t discordant = weighted_inversions(s.key, s.weight, s), all = pairs_of(total);
  // Pairs tied in neither: all - ties_a - ties_b + ties_ab = concordant + discordant.
  const int64_t concordant = all - ties_a - ties_b + ties_ab - discordant;
  return static_cast<double>(concordant - discordant) / static_cast<double>(all);
}

// The comparison for one resample, given how often each condition was drawn (s.w).
double compare_weighted(const Pairs& p, RdmComparison method, Scratch& s) {
  // A pair (i, i) of one image with itself has no entry in the strict upper triangle: the
  // resample's self-pairs are dropped here. total = sum over pairs i < j of w_i w_j.
  double drawn = 0, drawn_sq = 0;
  for (const double wi : s.w) drawn += wi, drawn_sq += wi * wi;
  const double total = (drawn * drawn - drawn_sq) / 2;
  if (total < 2) return kNaN;  // fewer than 2 dissimilarities left
  const size_t n_pairs = p.a.size();
  switch (method) {
    case RdmComparison::pearson:
    case RdmComparison::cosine: {
      s.m.resize(n_pairs);
      size_t q = 0;
      for (Eigen::Index i = 0; i < p.n; ++i) {
        const double wi = s.w[static_cast<size_t>(i)];
        for (Eigen::Index j = i + 1; j < p.n; ++j) s.m[q++] = wi * s.w[static_cast<size_t>(j)];
      }
      double ma = 0, mb = 0;  // cosine: uncentred
      if (method == RdmComparison::pearson) {
        for (size_t k = 0; k < n_pairs; ++k) ma += s.m[k] * p.a[k], mb += s.m[k] * p.b[k];
        ma /= total, mb /= total;
      }
      double ab = 0, aa = 0, bb = 0;
      for (size_t k = 0; k < n_pairs; ++k) {
        const double da = p.a[k] - ma, db = p.b[k] - mb;
        ab += s.m[k] * da * db, aa += s.m[k] * da * da, bb += s.m[k] * db * db;
      }
      return ab / std::sqrt(aa * bb);  // NaN when either side is constant, as pearson_correlation
    }
    case RdmComparison::spearman:
    case RdmComparison::rho_a: {
      centred_ranks(p.by_a, s.w, total, s.rank_a, s.m_a);
      centred_ranks(p.by_b, s.w, total, s.rank_b, s.m);
      if (method == RdmComparison::rho_a) {
        double d2 = 0;
        for (size_t k = 0; k < n_pairs; ++k) {
          const double d = s.rank_a[k] - s.rank_b[p.b_pos_of_a[k]];
          d2 += s.m_a[k] * d * d;
        }
        return 1.0 - 6.0 * d2 / (total * total * total - total);
      }
      double ab = 0, aa = 0, bb = 0;
      for (size_t k = 0; k < n_pairs; ++k) {
        ab += s.m_a[k] * s.rank_a[k] * s.rank_b[p.b_pos_of_a[k]];
        aa += s.m_a[k] * s.rank_a[k] * s.rank_a[k];
        bb += s.m[k] * s.rank_b[k] * s.rank_b[k];
      }
      return ab / std::sqrt(aa * bb);
    }
    case RdmComparison::kendall_tau_a: return weighted_kendall(p, s);
  }
  throw std::invalid_argument("unknown RDM comparison");
}

}  // namespace

PreparedRdmComparison::PreparedRdmComparison(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b,
                                             RdmComparison method)
    : pairs_(std::make_shared<const Pairs>(make_pairs(a, b, method))), method_(method) {}

double PreparedRdmComparison::resampled(const std::vector<int64_t>& idx) const {
  const Pairs& p = *static_cast<const Pairs*>(pairs_.get());
  if (static_cast<Eigen::Index>(idx.size()) != p.n)
    throw std::invalid_argument("resampled_rdm_comparison: " + std::to_string(idx.size()) + " indices for " +
                                std::to_string(p.n) + " conditions");
  Scratch s;
  s.w.assign(static_cast<size_t>(p.n), 0.0);
  for (int64_t i : idx) {
    if (i < 0 || i >= p.n)
      throw std::invalid_argument("resampled_rdm_comparison: index " + std::to_string(i) + " out of range");
    s.w[static_cast<size_t>(i)] += 1;
  }
  return compare_weighted(p, method_, s);
}

double resampled_rdm_comparison(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, RdmComparison method,
                                const std::vector<int64_t>& idx) {
  return PreparedRdmComparison(a, b, method).resampled(idx);
}

BootstrapInterval bootstrap_rdm_comparison(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, RdmComparison method,
                                           int draws, uint64_t seed, double level) {
  if (draws < 1) throw std::invalid_argument("--bootstrap " + std::to_string(draws) + ": needs at least 1 resample");
  const Pairs p = make_pairs(a, b, method);
  std::vector<double> values(static_cast<size_t>(draws));
#pragma omp parallel
  {
    Scratch s;
    // Each resample is its own seeded stream and its own sums: the values do not depend on the thread count.
#pragma omp for schedule(dynamic, 4)
    for (int d = 0; d < draws; ++d) {
      s.w.assign(static_cast<size_t>(p.n), 0.0);
      for (int64_t i : bootstrap_resample(p.n, d, seed)) s.w[static_cast<size_t>(i)] += 1;
      values[static_cast<size_t>(d)] = compare_weighted(p, method, s);
    }
  }
  BootstrapInterval interval = percentile_interval(std::move(values), level);
  interval.draws = draws;  // as bootstrap() reports: resamples drawn, NaNs included
  return interval;
}

}  // namespace ml
