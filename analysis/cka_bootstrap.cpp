// Eigen's AVX-512 kernels trip GCC 12's -Wmaybe-uninitialized inside avx512fintrin.h
// (a false positive in system code inlined into ours; see CMakeLists.txt).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "analysis/cka_bootstrap.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "analysis/cka.h"
#include "analysis/gram.h"

namespace ml {

namespace {

void require_grams(const Eigen::MatrixXd& k, const Eigen::MatrixXd& l, bool debiased) {
  if (k.rows() != k.cols() || l.rows() != l.cols() || k.rows() != l.rows())
    throw std::invalid_argument("bootstrap CKA: the grams must be square and of the same size, got " +
                                std::to_string(k.rows()) + " x " + std::to_string(k.cols()) + " and " +
                                std::to_string(l.rows()) + " x " + std::to_string(l.cols()));
  const Eigen::Index min_n = debiased ? 4 : 2;
  if (k.rows() < min_n)
    throw std::invalid_argument(std::string("bootstrap CKA") + (debiased ? " (debiased)" : "") + " needs at least " +
                                std::to_string(min_n) + " images, got " + std::to_string(k.rows()));
}

// One resample, as how often each image was drawn (w, summing to N), and the row sums over
// the original images with the diagonal left out: u = K~w, v = L~w, u2 = K~(w^2), v2 = L~(w^2)
// (u2, v2 for the debiased form only).
struct Draw {
  Eigen::VectorXd w, u, v, u2, v2;
  explicit Draw(Eigen::Index n) : w(n), u(n), v(n), u2(n), v2(n) {}
};

// For one product P (KL, KK or LL), sums over ordered pairs a != b of images:
// s2 = sum w_a w_b P_ab, s2w = sum w_a w_b^2 P_ab, s2ww = sum w_a^2 w_b^2 P_ab,
// s2w3 = sum w_a w_b^3 P_ab; diag = sum_a w_a^2 P_aa.
struct PairSums {
  double s2 = 0, s2w = 0, s2ww = 0, s2w3 = 0, diag = 0;
  // Column b's sums over a > b, c_k = sum_a w_a^k P_ab, each pair counted for (a, b) and (b, a).
  void add_column(double wb, double c1, double c2, double c3) {
    s2 += 2 * wb * c1;
    s2w += wb * wb * c1 + wb * c2;
    s2ww += 2 * wb * wb * c2;
    s2w3 += wb * wb * wb * c1 + wb * c3;
  }
};

// biased: tr(HAHB) for A = K[idx][:, idx], B = L[idx][:, idx]:
// tr(AB) = diag + s2; (A1)_i = (Kw)_idx_i = (u + w o diag K)_idx_i =: x_idx_i, so
// 1'AB1 = sum_a w_a x_a y_a and 1'A1 = w'x.
double biased_hsic(const PairSums& p, const Eigen::VectorXd& w, const Eigen::VectorXd& x, const Eigen::VectorXd& y) {
  const double n = w.sum();
  const double rows = (w.array() * x.array() * y.array()).sum(), sx = w.dot(x), sy = w.dot(y);
  return p.diag + p.s2 - 2 / n * rows + sx * sy / (n * n);
}

// debiased: the U-statistic of hsic_unbiased (Song et al. 2012: the mean over 4-tuples of
// distinct examples of h = K_ij L_ij + K_ij L_qr - 2 K_ij L_iq) over the resample's 4-tuples
// whose images are distinct, i.e. over 4-tuples (a, b, c, d) of distinct original images,
// each weighted by w_a w_b w_c w_d. Returned times that total weight, P4 (common to the
// three HSICs, it cancels in CKA). With every w_a = 1 it is hsic_unbiased * n (n-1) (n-2) (n-3).
// Terms (x, y: the off-diagonal row sums of the two kernels, x2, y2 the same with w^2):
//   U1 = sum W K_ab L_ab  = (p1^2 - p2) s2 - 4 p1 s2w + 4 s2w3 + 2 s2ww   (the weight of the
//        pairs {c, d} that avoid {a, b}, expanded)
//   U3 = sum W K_ab L_ac  = p1 S3 - S3a - S3b - S3c   (the weight of d avoiding a, b, c), with
//        S3 = sum_distinct(a,b,c) w_a w_b w_c K_ab L_ac = w'(x o y) - s2w, and S3a, S3b, S3c
//        the same with w_a^2, w_b^2, w_c^2: (w^2)'(x o y) - s2ww, w'(x2 o y) - s2w3, w'(x o y2) - s2w3
//   U2 = sum W K_ab L_cd  = (w'x)(w'y) - 4 S3a - 2 s2ww   (pairs {c, d} meeting {a, b} removed)
//   HSIC * P4 = U1 + U2 - 2 U3, with p_k = sum_a w_a^k.
// Images drawn twice never pair with themselves: a duplicate's K_aa is no off-diagonal entry
// here. Song's formula on the indexed gram would count it as one, and with more than a few
// features those self-similarities dominate: independent noise would get an interval far
// above 0 (tests/analysis/test_cka_bootstrap.cpp checks that it does not).
double debiased_hsic(const PairSums& p, const Eigen::VectorXd& w, const Eigen::VectorXd& x, const Eigen::VectorXd& y,
                     const Eigen::VectorXd& x2, const Eigen::VectorXd& y2) {
  const Eigen::ArrayXd wa = w.array(), xy = x.array() * y.array();
  const double p1 = wa.sum(), p2 = wa.square().sum();
  const double u1 = (p1 * p1 - p2) * p.s2 - 4 * p1 * p.s2w + 4 * p.s2w3 + 2 * p.s2ww;
  const double s3 = (wa * xy).sum() - p.s2w, s3a = (wa.square() * xy).sum() - p.s2ww;
  const double s3b = (wa * x2.array() * y.array()).sum() - p.s2w3, s3c = (wa * x.array() * y2.array()).sum() - p.s2w3;
  const double u3 = p1 * s3 - s3a - s3b - s3c;
  const double u2 = w.dot(x) * w.dot(y) - 4 * s3a - 2 * p.s2ww;
  return u1 + u2 - 2 * u3;
}

// The sums of one resample: one pass over the lower triangles of K and L (a > b), columns of
// undrawn images skipped (they add nothing, and their row sums are never used).
template <bool kDebiased>
void pass(const Eigen::MatrixXd& k, const Eigen::MatrixXd& l, Draw& d, PairSums& kl, PairSums& kk, PairSums& ll) {
  const Eigen::Index n = k.rows();
  d.u.setZero(), d.v.setZero(), d.u2.setZero(), d.v2.setZero();
  const double* w = d.w.data();
  double *u = d.u.data(), *v = d.v.data(), *u2 = d.u2.data(), *v2 = d.v2.data();
  for (Eigen::Index b = 0; b < n; ++b) {
    const double wb = w[b], wb2 = wb * wb;
    if (wb == 0) continue;
    const double* kc = k.col(b).data();
    const double* lc = l.col(b).data();
    double su = 0, sv = 0, su2 = 0, sv2 = 0;
    double kl1 = 0, kk1 = 0, ll1 = 0, kl2 = 0, kk2 = 0, ll2 = 0, kl3 = 0, kk3 = 0, ll3 = 0;
#pragma omp simd reduction(+ : su, sv, su2, sv2, kl1, kk1, ll1, kl2, kk2, ll2, kl3, kk3, ll3)
    for (Eigen::Index a = b + 1; a < n; ++a) {
      const double ka = kc[a], la = lc[a], wa = w[a], wk = wa * ka, wl = wa * la;
      su += wk, sv += wl;
      kl1 += wk * la, kk1 += wk * ka, ll1 += wl * la;
      u[a] += wb * ka, v[a] += wb * la;  // the upper triangle's share of row a, read from the lower one
      if constexpr (kDebiased) {
        const double wwk = wa * wk, wwl = wa * wl;
        su2 += wwk, sv2 += wwl;
        kl2 += wwk * la, kk2 += wwk * ka, ll2 += wwl * la;
        kl3 += wa * wwk * la, kk3 += wa * wwk * ka, ll3 += wa * wwl * la;
        u2[a] += wb2 * ka, v2[a] += wb2 * la;
      }
    }
    u[b] += su, v[b] += sv, u2[b] += su2, v2[b] += sv2;
    kl.add_column(wb, kl1, kl2, kl3);
    kk.add_column(wb, kk1, kk2, kk3);
    ll.add_column(wb, ll1, ll2, ll3);
  }
}

double cka_of_draw(const Eigen::MatrixXd& k, const Eigen::MatrixXd& l, bool debiased, Draw& d) {
  PairSums kl, kk, ll;
  double hkl, hkk, hll;
  if (debiased) {
    // Fewer than 4 distinct images leave no 4-tuple to average over.
    if ((d.w.array() > 0).count() < 4) return std::numeric_limits<double>::quiet_NaN();
    pass<true>(k, l, d, kl, kk, ll);
    hkl = debiased_hsic(kl, d.w, d.u, d.v, d.u2, d.v2);
    hkk = debiased_hsic(kk, d.w, d.u, d.u, d.u2, d.u2);
    hll = debiased_hsic(ll, d.w, d.v, d.v, d.v2, d.v2);
  } else {
    pass<false>(k, l, d, kl, kk, ll);
    const Eigen::ArrayXd w2 = d.w.array().square(), kd = k.diagonal().array(), ld = l.diagonal().array();
    kl.diag = (w2 * kd * ld).sum(), kk.diag = (w2 * kd * kd).sum(), ll.diag = (w2 * ld * ld).sum();
    d.u.array() += d.w.array() * kd;  // the diagonal's share of the row sums
    d.v.array() += d.w.array() * ld;
    hkl = biased_hsic(kl, d.w, d.u, d.v);
    hkk = biased_hsic(kk, d.w, d.u, d.u);
    hll = biased_hsic(ll, d.w, d.v, d.v);
  }
  return hkl / (std::sqrt(hkk) * std::sqrt(hll));  // NaN when a resample leaves either side without variance
}

}  // namespace

double resampled_gram_cka(const Eigen::MatrixXd& gram_x, const Eigen::MatrixXd& gram_y,
                          const std::vector<int64_t>& idx, bool debiased) {
  require_grams(gram_x, gram_y, debiased);
  const Eigen::Index n = gram_x.rows();
  if (static_cast<Eigen::Index>(idx.size()) != n)
    throw std::invalid_argument("resampled_gram_cka: " + std::to_string(idx.size()) + " indices for " +
                                std::to_string(n) + " images");
  Draw d(n);
  d.w.setZero();
  for (int64_t i : idx) {
    if (i < 0 || i >= n) throw std::invalid_argument("resampled_gram_cka: index " + std::to_string(i) + " out of range");
    d.w(i) += 1;
  }
  return cka_of_draw(gram_x, gram_y, debiased, d);
}

BootstrapInterval bootstrap_gram_cka(const Eigen::MatrixXd& gram_x, const Eigen::MatrixXd& gram_y, bool debiased,
                                     int draws, uint64_t seed, double level) {
  require_grams(gram_x, gram_y, debiased);
  if (draws < 1) throw std::invalid_argument("--bootstrap " + std::to_string(draws) + ": needs at least 1 resample");
  const Eigen::Index n = gram_x.rows();
  std::vector<double> values(static_cast<size_t>(draws));
#pragma omp parallel
  {
    Draw d(n);
    // Each resample is its own seeded stream and its own sums: the values do not depend on the thread count.
#pragma omp for schedule(dynamic, 4)
    for (int b = 0; b < draws; ++b) {
      d.w.setZero();
      for (int64_t i : bootstrap_resample(n, b, seed)) d.w(i) += 1;
      values[static_cast<size_t>(b)] = cka_of_draw(gram_x, gram_y, debiased, d);
    }
  }
  BootstrapInterval interval = percentile_interval(std::move(values), level);
  interval.draws = draws;  // as bootstrap() reports: resamples drawn, NaNs included
  return interval;
}

BootstrapInterval bootstrap_linear_cka(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, bool debiased, int draws,
                                       uint64_t seed, bool mixed, double level) {
  if (x.rows() != y.rows())
    throw std::invalid_argument("A has " + std::to_string(x.rows()) + " rows but B has " + std::to_string(y.rows()) +
                                " (CKA compares the same examples)");
  // Centred and scaled (CKA does not depend on either side's scale): no gram entry leaves the float range.
  const Eigen::MatrixXd kx = row_gram(cka_centred(x), mixed);
  const Eigen::MatrixXd ky = row_gram(cka_centred(y), mixed);
  return bootstrap_gram_cka(kx, ky, debiased, draws, seed, level);
}

}  // namespace ml
