// Eigen's AVX-512 kernels trip GCC 12's -Wmaybe-uninitialized inside avx512fintrin.h
// (a false positive in system code inlined into ours; see CMakeLists.txt).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "analysis/cka.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>
#include <random>
#include <stdexcept>
#include <vector>

#include "analysis/gram.h"

namespace ml {

CkaKernel parse_cka_kernel(const std::string& name) {
  if (name == "linear") return CkaKernel::linear;
  if (name == "rbf") return CkaKernel::rbf;
  throw std::invalid_argument("--kernel '" + name + "': expected linear or rbf");
}

namespace {

void require_pair(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, Eigen::Index min_rows, const char* what) {
  if (x.rows() != y.rows())
    throw std::invalid_argument("A has " + std::to_string(x.rows()) + " rows but B has " + std::to_string(y.rows()) +
                                " (CKA compares the same examples)");
  if (x.rows() < min_rows)
    throw std::invalid_argument(std::string(what) + " needs at least " + std::to_string(min_rows) + " rows, got " +
                                std::to_string(x.rows()));
}

// What cka_centred does to x, found in one read of it: scale by `before` (|x| < 1,
// so that the column sums cannot overflow), subtract each column's mean (a column
// of equal values becomes zeros), scale by `after` (the largest |centred value|
// into [0.5, 1)). Powers of two: the scalings are exact. Without rescale, only the
// centring (for the minibatches of one input, which must share its scale).
struct Centring {
  double before = 1, after = 1;
  Eigen::VectorXd mean;
  std::vector<char> constant;

  explicit Centring(const Eigen::MatrixXd& x, bool rescale = true)
      : mean(x.cols()), constant(static_cast<size_t>(x.cols())) {
    if (x.size() == 0) return;
    if (rescale) before = power_of_two_scale(x.cwiseAbs().maxCoeff());
    double largest = 0;
#pragma omp parallel for schedule(static) reduction(max : largest)
    for (Eigen::Index j = 0; j < x.cols(); ++j) {
      const double lo = x.col(j).minCoeff() * before, hi = x.col(j).maxCoeff() * before;
      constant[static_cast<size_t>(j)] = lo == hi;
      mean(j) = (x.col(j) * before).mean();
      if (lo != hi) largest = std::max({largest, hi - mean(j), mean(j) - lo});
    }
    if (rescale) after = power_of_two_scale(largest);
  }

  // Column j of x, centred and scaled.
  Eigen::ArrayXd column(const Eigen::MatrixXd& x, Eigen::Index j) const {
    if (constant[static_cast<size_t>(j)]) return Eigen::ArrayXd::Zero(x.rows());
    return (x.col(j).array() * before - mean(j)) * after;
  }
};

// Centred columns without rescaling (see Centring).
Eigen::MatrixXd centred_only(const Eigen::MatrixXd& x) {
  const Centring c(x, false);
  Eigen::MatrixXd out(x.rows(), x.cols());
  for (Eigen::Index j = 0; j < x.cols(); ++j) out.col(j) = c.column(x, j).matrix();
  return out;
}

// Why a side whose HSIC with itself is `self` (not > 0) leaves CKA undefined.
std::string undefined_why(double self) {
  if (self == 0) return "every row is the same (the centred gram is zero), so CKA with it is undefined";
  return "its unbiased HSIC with itself is not positive (too few distinct rows), so debiased CKA with it is undefined";
}

// HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L)); the square roots taken apart, so that
// their product cannot overflow. Throws CkaUndefined for a side with nothing to compare.
double cka_ratio(double kl, double kk, double ll, size_t index_x = 0, size_t index_y = 0) {
  if (!(kk > 0)) throw CkaUndefined(0, index_x, undefined_why(kk));
  if (!(ll > 0)) throw CkaUndefined(1, index_y, undefined_why(ll));
  return kl / (std::sqrt(kk) * std::sqrt(ll));
}

// Song's unbiased HSIC in feature space for column-centred X, Y:
// [||X^T Y||^2 - n/(n-2) sum_i |x_i|^2 |y_i|^2 + |X|^2 |Y|^2 / ((n-1)(n-2))] / (n (n-3)).
// (With centred columns K~1 = -diag(K), so the three terms of hsic_unbiased reduce to these.)
double unbiased_from_features(double xty2, const Eigen::VectorXd& rx, const Eigen::VectorXd& ry, double n) {
  return (xty2 - n / (n - 2) * rx.dot(ry) + rx.sum() * ry.sum() / ((n - 1) * (n - 2))) / (n * (n - 3));
}

// For centred X (n x dx), Y (n x dy): ||X^T Y||^2, ||X^T X||^2, ||Y^T Y||^2 from one
// symmetric product of [X Y] when that is cheaper than N x N, summed in double.
struct CrossNorms {
  double xy = 0, xx = 0, yy = 0;
};

CrossNorms cross_norms(const Eigen::MatrixXd& xc, const Eigen::MatrixXd& yc, bool mixed) {
  CrossNorms r;
  const Eigen::Index dx = xc.cols();
  if (dx + yc.cols() > xc.rows()) {
    // More features than examples (conv layers): the N x N grams are smaller,
    // and ||X^T Y||^2 = <X X^T, Y Y^T>.
    const Eigen::MatrixXd kx = row_gram(xc), ky = row_gram(yc);
    r.xy = kx.cwiseProduct(ky).sum();
    r.xx = kx.squaredNorm();
    r.yy = ky.squaredNorm();
    return r;
  }
  Eigen::MatrixXd z(xc.rows(), xc.cols() + yc.cols());
  z << xc, yc;
  const Eigen::MatrixXd g = column_gram(z, mixed);
  r.xx = g.topLeftCorner(dx, dx).squaredNorm();
  r.yy = g.bottomRightCorner(yc.cols(), yc.cols()).squaredNorm();
  r.xy = g.bottomLeftCorner(yc.cols(), dx).squaredNorm();
  return r;
}

// The k_lo-th and k_hi-th smallest (0-based, k_lo <= k_hi) of v, v unchanged.
// Large v: a strided sample brackets both ranks between two values; one counting
// pass (over the threads) finds how many lie below the bracket and copies the few
// inside it, where nth_element picks them. Exact; when the sample's bracket misses
// (rare), the whole of v is copied and selected instead.
std::pair<double, double> select_two(const std::vector<double>& v, size_t k_lo, size_t k_hi) {
  const size_t m = v.size();
  auto select_in = [](std::vector<double>& w, size_t lo, size_t hi) {
    std::nth_element(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(lo), w.end());
    const double a = w[lo];
    if (hi == lo) return std::make_pair(a, a);
    // Everything after lo is >= w[lo]: select within that part only.
    std::nth_element(w.begin() + static_cast<std::ptrdiff_t>(lo + 1), w.begin() + static_cast<std::ptrdiff_t>(hi),
                     w.end());
    return std::make_pair(a, w[hi]);
  };
  constexpr size_t kSample = 1 << 16;
  if (m >= 16 * kSample) {
    std::vector<double> sample(kSample);
    const size_t stride = m / kSample;
    for (size_t i = 0; i < kSample; ++i) sample[i] = v[i * stride + (i * 7919) % stride];
    std::sort(sample.begin(), sample.end());
    const double margin = 0.01 * static_cast<double>(kSample);
    auto at = [&](double rank) {
      return sample[static_cast<size_t>(std::clamp(rank, 0.0, static_cast<double>(kSample - 1)))];
    };
    const double lo = at(static_cast<double>(k_lo) / static_cast<double>(m) * kSample - margin);
    const double hi = at(static_cast<double>(k_hi) / static_cast<double>(m) * kSample + margin);
    size_t below = 0;
    std::vector<double> inside;
#pragma omp parallel reduction(+ : below)
    {
      std::vector<double> mine;
#pragma omp for schedule(static) nowait
      for (size_t i = 0; i < m; ++i) {
        const double x = v[i];
        below += x < lo;
        if (x >= lo && x <= hi) mine.push_back(x);
      }
#pragma omp critical
      inside.insert(inside.end(), mine.begin(), mine.end());
    }
    if (k_lo >= below && k_hi < below + inside.size()) return select_in(inside, k_lo - below, k_hi - below);
  }
  std::vector<double> w = v;
  return select_in(w, k_lo, k_hi);
}

// Median over all n^2 entries of a symmetric n x n matrix with a zero diagonal and
// non-negative entries, as np.median does, given its strictly lower triangle
// (any order): the n zeros plus every off-diagonal value twice.
double median_from_pairs(const std::vector<double>& lower, Eigen::Index n) {
  // Sorted full multiset: positions [0, n) are the diagonal zeros (every
  // distance is >= 0), position p >= n holds lower-sorted[(p - n) / 2].
  const int64_t total = static_cast<int64_t>(n) * n;
  const int64_t p_lo = total % 2 == 1 ? total / 2 : total / 2 - 1, p_hi = total / 2;
  auto value = [&](int64_t p, double selected) { return p < n ? 0.0 : selected; };
  const auto k = [&](int64_t p) { return static_cast<size_t>(p < n ? 0 : (p - n) / 2); };
  if (lower.empty()) return 0.0;
  const auto [a, b] = select_two(lower, k(p_lo), k(p_hi));
  const double lo = value(p_lo, a), hi = value(p_hi, b);
  return total % 2 == 1 ? hi : 0.5 * (lo + hi);
}

double median_all_entries(const Eigen::MatrixXd& d) {
  const Eigen::Index n = d.rows();
  std::vector<double> lower;
  lower.reserve(static_cast<size_t>(n * (n - 1) / 2));
  for (Eigen::Index j = 0; j < n; ++j)
    for (Eigen::Index i = j + 1; i < n; ++i) lower.push_back(d(i, j));
  return median_from_pairs(lower, n);
}

// Strictly lower triangle of an n x n matrix packed column by column: column j
// (rows j+1 .. n-1) starts at packed_start(j).
inline size_t packed_start(Eigen::Index j, Eigen::Index n) {
  return static_cast<size_t>(j) * static_cast<size_t>(2 * n - j - 1) / 2;
}

// Squared distances between the rows of cka_centred(x) (the RBF kernels do not
// depend on x's scale: the bandwidth follows it), strictly lower triangle packed,
// each gram tile turned into distances as it is formed.
std::vector<double> packed_squared_distances(const Eigen::MatrixXd& x, bool mixed) {
  const Eigen::MatrixXd c = cka_centred(x);
  const Eigen::Index n = c.rows();
  const Eigen::VectorXd sq = c.rowwise().squaredNorm();
  std::vector<double> p(static_cast<size_t>(n) * static_cast<size_t>(n - 1) / 2);
  for_each_row_gram_tile(c, mixed, [&](Eigen::Index i0, Eigen::Index j0, const Eigen::MatrixXd& tile) {
    const Eigen::Index ni = tile.rows(), nj = tile.cols();
    for (Eigen::Index col = 0; col < nj; ++col) {
      const Eigen::Index j = j0 + col, r0 = i0 == j0 ? col + 1 : 0, len = ni - r0;
      if (len <= 0) continue;
      Eigen::Map<Eigen::ArrayXd> out(p.data() + packed_start(j, n) + (i0 + r0 - j - 1), len);
      out = ((sq.segment(i0 + r0, len).array() + sq(j)) - 2.0 * tile.col(col).tail(len).array()).cwiseMax(0.0);
    }
  });
  return p;
}

// Squared distances between the rows of cka_centred(x), N x N.
Eigen::MatrixXd squared_distances(const Eigen::MatrixXd& x) {
  Eigen::MatrixXd g = row_gram(cka_centred(x));
  gram_to_squared_distances(g);
  return g;
}

// Sums over the pair of RBF kernels K, L formed column by column from the
// squared distances, so that neither centred kernel is ever stored:
// off-diagonal sums of K*L, K*K, L*L, off-diagonal column sums of K and L.
struct KernelSums {
  double kl = 0, kk = 0, ll = 0;
  Eigen::VectorXd rk, rl;  // off-diagonal column sums
};

KernelSums rbf_kernel_sums(const Eigen::MatrixXd& dx, double gx, const Eigen::MatrixXd& dy, double gy) {
  const Eigen::Index n = dx.rows();
  KernelSums s;
  s.rk.resize(n), s.rl.resize(n);
  double kl = 0, kk = 0, ll = 0;
#pragma omp parallel for schedule(static) reduction(+ : kl, kk, ll)
  for (Eigen::Index j = 0; j < n; ++j) {
    Eigen::ArrayXd k = (dx.col(j).array() * -gx).exp();
    Eigen::ArrayXd l = (dy.col(j).array() * -gy).exp();
    k(j) = 0, l(j) = 0;
    kl += (k * l).sum(), kk += k.square().sum(), ll += l.square().sum();
    s.rk(j) = k.sum(), s.rl(j) = l.sum();
  }
  s.kl = kl, s.kk = kk, s.ll = ll;
  return s;
}

// The same sums from the packed lower-triangle distances of X and Y (each
// off-diagonal pair once, so every exp is taken once).
KernelSums rbf_kernel_sums_packed(const std::vector<double>& dx, double gx, const std::vector<double>& dy, double gy,
                                  Eigen::Index n) {
  KernelSums s;
  s.rk = Eigen::VectorXd::Zero(n), s.rl = Eigen::VectorXd::Zero(n);
  double kl = 0, kk = 0, ll = 0;
#pragma omp parallel reduction(+ : kl, kk, ll)
  {
    Eigen::VectorXd rk = Eigen::VectorXd::Zero(n), rl = Eigen::VectorXd::Zero(n);
    Eigen::ArrayXd kb(n), lb(n);
#pragma omp for schedule(dynamic, 32) nowait
    for (Eigen::Index j = 0; j < n - 1; ++j) {
      const Eigen::Index len = n - j - 1;
      const size_t off = packed_start(j, n);
      auto k = kb.head(len), l = lb.head(len);
      k = (Eigen::Map<const Eigen::ArrayXd>(dx.data() + off, len) * -gx).exp();
      l = (Eigen::Map<const Eigen::ArrayXd>(dy.data() + off, len) * -gy).exp();
      kl += (k * l).sum(), kk += k.square().sum(), ll += l.square().sum();
      rk(j) += k.sum(), rl(j) += l.sum();
      rk.tail(len).array() += k, rl.tail(len).array() += l;
    }
#pragma omp critical
    s.rk += rk, s.rl += rl;
  }
  s.kl = 2 * kl, s.kk = 2 * kk, s.ll = 2 * ll;
  return s;
}

// tr(K H L H) from sums over off-diagonal entries, with diagonals dk, dl (scalars).
double biased_hsic(double kl, const Eigen::VectorXd& rk, const Eigen::VectorXd& rl, double dk, double dl, double n) {
  const Eigen::ArrayXd ck = rk.array() + dk, cl = rl.array() + dl;  // full column sums
  const double sum_kl = kl + n * dk * dl;
  return sum_kl - 2.0 / n * (ck * cl).sum() + ck.sum() * cl.sum() / (n * n);
}

double unbiased_hsic_sums(double kl, const Eigen::VectorXd& rk, const Eigen::VectorXd& rl, double n) {
  return (kl + rk.sum() * rl.sum() / ((n - 1) * (n - 2)) - 2.0 / (n - 2) * rk.dot(rl)) / (n * (n - 3));
}

// side: which input the distances are of (CkaUndefined's side).
double gamma_from_median(double median, double scale, int side) {
  if (!(median > 0))
    throw CkaUndefined(side, 0,
                       "the median squared distance between its rows is 0 (most rows are the same), so the RBF "
                       "bandwidth, and CKA with it, are undefined");
  return 1.0 / (2.0 * scale * scale * median);
}

double rbf_gamma(const Eigen::MatrixXd& d, double scale, int side) {
  return gamma_from_median(median_all_entries(d), scale, side);
}

}  // namespace

double linear_cka(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, bool debiased, bool mixed) {
  require_pair(x, y, debiased ? 4 : 2, debiased ? "debiased CKA" : "CKA");
  const Eigen::Index dx = x.cols(), dy = y.cols();
  if (mixed && !debiased && dx + dy <= x.rows()) {
    // Centre and scale in double (cka_centred) and round once to float, straight
    // into [X Y], without a centred double copy of either side.
    const Centring cx(x), cy(y);
    Eigen::MatrixXf zf(x.rows(), dx + dy);
#pragma omp parallel for schedule(static)
    for (Eigen::Index j = 0; j < dx + dy; ++j)
      zf.col(j) = (j < dx ? cx.column(x, j) : cy.column(y, j - dx)).cast<float>().matrix();
    const Eigen::MatrixXd g = column_gram_mixed(zf);
    const double xx = g.topLeftCorner(dx, dx).squaredNorm(), yy = g.bottomRightCorner(dy, dy).squaredNorm();
    return cka_ratio(g.bottomLeftCorner(dy, dx).squaredNorm(), xx, yy);
  }
  const Eigen::MatrixXd xc = cka_centred(x), yc = cka_centred(y);
  const CrossNorms c = cross_norms(xc, yc, mixed);
  if (!debiased) return cka_ratio(c.xy, c.xx, c.yy);
  const double n = static_cast<double>(x.rows());
  const Eigen::VectorXd rx = xc.rowwise().squaredNorm(), ry = yc.rowwise().squaredNorm();
  const double hxy = unbiased_from_features(c.xy, rx, ry, n);
  const double hxx = unbiased_from_features(c.xx, rx, rx, n);
  const double hyy = unbiased_from_features(c.yy, ry, ry, n);
  return cka_ratio(hxy, hxx, hyy);
}

double rbf_cka(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, double scale, bool debiased, bool mixed) {
  require_pair(x, y, debiased ? 4 : 2, debiased ? "debiased CKA" : "CKA");
  if (!(scale > 0)) throw std::invalid_argument("--rbf-scale must be > 0");
  const Eigen::Index rows = x.rows();
  const double n = static_cast<double>(rows);
  const std::vector<double> dx = packed_squared_distances(x, mixed), dy = packed_squared_distances(y, mixed);
  const double gx = gamma_from_median(median_from_pairs(dx, rows), scale, 0);
  const double gy = gamma_from_median(median_from_pairs(dy, rows), scale, 1);
  const KernelSums s = rbf_kernel_sums_packed(dx, gx, dy, gy, rows);
  if (debiased) {
    return cka_ratio(unbiased_hsic_sums(s.kl, s.rk, s.rl, n), unbiased_hsic_sums(s.kk, s.rk, s.rk, n),
                     unbiased_hsic_sums(s.ll, s.rl, s.rl, n));
  }
  return cka_ratio(biased_hsic(s.kl, s.rk, s.rl, 1, 1, n), biased_hsic(s.kk, s.rk, s.rk, 1, 1, n),
                   biased_hsic(s.ll, s.rl, s.rl, 1, 1, n));
}

double minibatch_cka(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, CkaKernel kernel, int64_t batch,
                     double scale, uint64_t seed) {
  require_pair(x, y, 4, "minibatch CKA");
  if (batch < 4) throw std::invalid_argument("--minibatch must be >= 4 (unbiased HSIC), got " + std::to_string(batch));
  if (kernel == CkaKernel::rbf && !(scale > 0)) throw std::invalid_argument("--rbf-scale must be > 0");
  const Eigen::Index n = x.rows();
  // One scale per input for all its minibatches (their HSICs are summed), so
  // that no square leaves the double range.
  auto max_abs = [](const Eigen::MatrixXd& m) { return m.size() > 0 ? m.cwiseAbs().maxCoeff() : 0.0; };
  const Eigen::MatrixXd xs = x * power_of_two_scale(max_abs(x)), ys = y * power_of_two_scale(max_abs(y));
  std::vector<Eigen::Index> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), Eigen::Index{0});
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  double sxy = 0, sxx = 0, syy = 0;
  for (Eigen::Index start = 0; start < n; start += batch) {
    const Eigen::Index m = std::min<Eigen::Index>(batch, n - start);
    if (m < 4) break;
    Eigen::MatrixXd xb(m, x.cols()), yb(m, y.cols());
    for (Eigen::Index i = 0; i < m; ++i) {
      xb.row(i) = xs.row(order[static_cast<size_t>(start + i)]);
      yb.row(i) = ys.row(order[static_cast<size_t>(start + i)]);
    }
    const double nb = static_cast<double>(m);
    if (kernel == CkaKernel::linear) {
      const Eigen::MatrixXd xc = centred_only(xb), yc = centred_only(yb);
      const CrossNorms c = cross_norms(xc, yc, false);
      const Eigen::VectorXd rx = xc.rowwise().squaredNorm(), ry = yc.rowwise().squaredNorm();
      sxy += unbiased_from_features(c.xy, rx, ry, nb);
      sxx += unbiased_from_features(c.xx, rx, rx, nb);
      syy += unbiased_from_features(c.yy, ry, ry, nb);
    } else {
      const Eigen::MatrixXd dx = squared_distances(xb), dy = squared_distances(yb);
      const KernelSums s = rbf_kernel_sums(dx, rbf_gamma(dx, scale, 0), dy, rbf_gamma(dy, scale, 1));
      sxy += unbiased_hsic_sums(s.kl, s.rk, s.rl, nb);
      sxx += unbiased_hsic_sums(s.kk, s.rk, s.rk, nb);
      syy += unbiased_hsic_sums(s.ll, s.rl, s.rl, nb);
    }
  }
  return cka_ratio(sxy, sxx, syy);
}

Eigen::MatrixXd linear_cka_matrix(const std::vector<Eigen::MatrixXd>& a, const std::vector<Eigen::MatrixXd>& b,
                                  bool debiased) {
  Eigen::MatrixXd out(static_cast<Eigen::Index>(a.size()), static_cast<Eigen::Index>(b.size()));
  if (a.empty() || b.empty()) return out;
  const Eigen::Index n = a[0].rows();
  for (const auto* side : {&a, &b})
    for (const auto& m : *side) require_pair(a[0], m, debiased ? 4 : 2, debiased ? "debiased CKA" : "CKA");
  if (n > 4096) {
    for (size_t i = 0; i < a.size(); ++i)
      for (size_t j = 0; j < b.size(); ++j) {
        try {
          out(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = linear_cka(a[i], b[j], debiased);
        } catch (const CkaUndefined& e) {
          throw CkaUndefined(e.side, e.side == 0 ? i : j, e.what());
        }
      }
    return out;
  }
  struct Stats {
    Eigen::MatrixXd k;   // centred gram
    Eigen::VectorXd r;   // its diagonal: squared row norms of the centred data
    double self = 0;     // HSIC(K, K), biased or unbiased (up to the common factor)
  };
  const double nn = static_cast<double>(n);
  auto stats = [&](const Eigen::MatrixXd& x, int side, size_t index) {
    Stats s;
    s.k = row_gram(cka_centred(x));
    s.r = s.k.diagonal();
    const double kk = s.k.squaredNorm();
    s.self = debiased ? unbiased_from_features(kk, s.r, s.r, nn) : kk;
    if (!(s.self > 0)) throw CkaUndefined(side, index, undefined_why(s.self));
    return s;
  };
  std::vector<Stats> sa, sb;
  for (size_t i = 0; i < a.size(); ++i) sa.push_back(stats(a[i], 0, i));
  for (size_t j = 0; j < b.size(); ++j) sb.push_back(stats(b[j], 1, j));
  for (size_t i = 0; i < a.size(); ++i)
    for (size_t j = 0; j < b.size(); ++j) {
      const double kl = sa[i].k.cwiseProduct(sb[j].k).sum();
      const double h = debiased ? unbiased_from_features(kl, sa[i].r, sb[j].r, nn) : kl;
      out(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = cka_ratio(h, sa[i].self, sb[j].self, i, j);
    }
  return out;
}

Eigen::MatrixXd cka_centred(const Eigen::MatrixXd& x) {
  const Centring c(x);
  Eigen::MatrixXd out(x.rows(), x.cols());
#pragma omp parallel for schedule(static)
  for (Eigen::Index j = 0; j < x.cols(); ++j) out.col(j) = c.column(x, j).matrix();
  return out;
}

Eigen::MatrixXd linear_gram(const Eigen::MatrixXd& x) { return x * x.transpose(); }

Eigen::MatrixXd rbf_gram(const Eigen::MatrixXd& x, double scale) {
  const Eigen::MatrixXd d = squared_distances(x);
  return (d.array() * -rbf_gamma(d, scale, 0)).exp().matrix();
}

double gram_cka(const Eigen::MatrixXd& k, const Eigen::MatrixXd& l, bool debiased) {
  if (k.rows() != l.rows() || k.rows() != k.cols() || l.rows() != l.cols())
    throw std::invalid_argument("gram_cka: kernels must be square and of the same size");
  const Eigen::Index n = k.rows();
  auto center = [&](const Eigen::MatrixXd& g) {
    Eigen::MatrixXd c = g;
    if (debiased) {
      if (n < 4) throw std::invalid_argument("debiased CKA needs at least 4 rows");
      c.diagonal().setZero();
      Eigen::VectorXd means = c.colwise().sum().transpose() / static_cast<double>(n - 2);
      means.array() -= means.sum() / (2.0 * static_cast<double>(n - 1));
      c.colwise() -= means;
      c.rowwise() -= means.transpose();
      c.diagonal().setZero();
    } else {
      Eigen::VectorXd means = c.colwise().mean().transpose();
      means.array() -= means.mean() / 2.0;
      c.colwise() -= means;
      c.rowwise() -= means.transpose();
    }
    return c;
  };
  const Eigen::MatrixXd kc = center(k), lc = center(l);
  return kc.cwiseProduct(lc).sum() / (kc.norm() * lc.norm());
}

double hsic_unbiased(const Eigen::MatrixXd& k, const Eigen::MatrixXd& l) {
  const Eigen::Index n = k.rows();
  if (n < 4 || l.rows() != n || k.cols() != n || l.cols() != n)
    throw std::invalid_argument("unbiased HSIC needs two n x n kernels with n >= 4");
  Eigen::MatrixXd kt = k, lt = l;
  kt.diagonal().setZero(), lt.diagonal().setZero();
  const double nn = static_cast<double>(n);
  const Eigen::VectorXd k1 = kt.rowwise().sum(), l1 = lt.rowwise().sum();
  return ((kt.cwiseProduct(lt)).sum() + k1.sum() * l1.sum() / ((nn - 1) * (nn - 2)) - 2.0 / (nn - 2) * k1.dot(l1)) /
         (nn * (nn - 3));
}

}  // namespace ml
