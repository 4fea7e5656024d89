// PCA filters: orthonormal, ordered by explained variance. NMF: objectives
// never increase, known parts are recovered, and the updates agree with an
// independent plain-loop implementation written here.
// Eigen's AVX-512 kernels trip GCC 12's -Wmaybe-uninitialized inside avx512fintrin.h
// (a false positive in system code inlined into ours; see CMakeLists.txt).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <cmath>

#include "embeddings/nmf.h"
#include "embeddings/pca_filters.h"
#include "base/rng.h"
#include "test_util.h"

using namespace ml;

TEST_CASE("pca components are orthonormal and ordered by explained variance", "[embeddings][pca]") {
  // Anisotropic Gaussian data in 9 dimensions: standard deviations 9, 8, ..., 1
  // along a fixed random rotation (Gram-Schmidt of random vectors), plus an offset.
  const int D = 9, n = 20000;
  Rng rng(3);
  Eigen::MatrixXd Q = Eigen::MatrixXd::NullaryExpr(D, D, [&]() { return double(rng.normal()); });
  Q = Eigen::HouseholderQR<Eigen::MatrixXd>(Q).householderQ();
  std::vector<float> x(static_cast<size_t>(n) * D);
  for (int s = 0; s < n; ++s) {
    Eigen::VectorXd z(D);
    for (int i = 0; i < D; ++i) z(i) = (D - i) * rng.normal();
    const Eigen::VectorXd v = Q * z;
    for (int i = 0; i < D; ++i) x[static_cast<size_t>(s) * D + i] = static_cast<float>(v(i) + 0.5 * i);
  }
  const PatchPca pca = patch_pca(x, n, D);
  const Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> C(
      pca.components.data(), D, D);
  const double off = (C * C.transpose() - Eigen::MatrixXd::Identity(D, D)).cwiseAbs().maxCoeff();
  INFO("max |C C^T - I| = " << off);
  CHECK(off < 1e-10);
  for (int i = 0; i + 1 < D; ++i) CHECK(pca.eigenvalues[i] >= pca.eigenvalues[i + 1]);
  // Each eigenvalue is the variance of the data projected on its component...
  for (int i = 0; i < D; ++i) {
    double mean = 0, var = 0;
    std::vector<double> proj(n);
    for (int s = 0; s < n; ++s) {
      for (int j = 0; j < D; ++j) proj[s] += C(i, j) * x[static_cast<size_t>(s) * D + j];
      mean += proj[s] / n;
    }
    for (int s = 0; s < n; ++s) var += (proj[s] - mean) * (proj[s] - mean) / n;
    CHECK(var == Approx(pca.eigenvalues[i]).epsilon(1e-6));
    // ... close to the generating variance (sampling error at n = 20000: ~1%; allow 5%)
    CHECK(pca.eigenvalues[i] == Approx((D - i) * (D - i)).epsilon(0.05));
    // ... and the component is the generating direction, up to sign.
    CHECK(std::fabs(C.row(i).dot(Q.col(i))) > 0.99);
  }
  SECTION("filters: +components then -components when K > D") {
    const std::vector<float> f = pca_filters(pca, 20);
    for (int j = 0; j < D; ++j) {
      CHECK(f[0 * D + j] == static_cast<float>(C(0, j)));
      CHECK(f[9 * D + j] == static_cast<float>(-C(0, j)));
      CHECK(f[18 * D + j] == static_cast<float>(C(0, j)));
      CHECK(f[19 * D + j] == static_cast<float>(C(1, j)));
    }
  }
  CHECK_THROWS(patch_pca(x, 1, D));
}

namespace {

Eigen::MatrixXd random_nonneg(int rows, int cols, uint64_t seed) {
  Rng rng(seed);
  return Eigen::MatrixXd::NullaryExpr(rows, cols, [&]() { return double(rng.uniform()); });
}

// Plain loops, straight from Lee & Seung's update rules (no Eigen products).
void naive_update(const Eigen::MatrixXd& V, Eigen::MatrixXd& W, Eigen::MatrixXd& H, NmfObjective o, double eps) {
  const int D = int(V.rows()), N = int(V.cols()), r = int(W.cols());
  auto wh = [&](int i, int j) {
    double s = 0;
    for (int a = 0; a < r; ++a) s += W(i, a) * H(a, j);
    return s;
  };
  Eigen::MatrixXd Hn = H, Wn = W;
  if (o == NmfObjective::Frobenius) {
    for (int a = 0; a < r; ++a) {
      for (int j = 0; j < N; ++j) {
        double num = 0, den = 0;
        for (int i = 0; i < D; ++i) num += W(i, a) * V(i, j), den += W(i, a) * wh(i, j);
        Hn(a, j) = H(a, j) * num / (den + eps);
      }
    }
    H = Hn;
    for (int i = 0; i < D; ++i) {
      for (int a = 0; a < r; ++a) {
        double num = 0, den = 0;
        for (int j = 0; j < N; ++j) num += V(i, j) * H(a, j), den += wh(i, j) * H(a, j);
        Wn(i, a) = W(i, a) * num / (den + eps);
      }
    }
    W = Wn;
  } else {
    for (int a = 0; a < r; ++a) {
      double wsum = 0;
      for (int i = 0; i < D; ++i) wsum += W(i, a);
      for (int j = 0; j < N; ++j) {
        double num = 0;
        for (int i = 0; i < D; ++i) num += W(i, a) * V(i, j) / (wh(i, j) + eps);
        Hn(a, j) = H(a, j) * num / (wsum + eps);
      }
    }
    H = Hn;
    for (int a = 0; a < r; ++a) {
      double hsum = 0;
      for (int j = 0; j < N; ++j) hsum += H(a, j);
      for (int i = 0; i < D; ++i) {
        double num = 0;
        for (int j = 0; j < N; ++j) num += H(a, j) * V(i, j) / (wh(i, j) + eps);
        Wn(i, a) = W(i, a) * num / (hsum + eps);
      }
    }
    W = Wn;
  }
}

}  // namespace

TEST_CASE("nmf: the objective never increases over the multiplicative updates", "[embeddings][nmf]") {
  const Eigen::MatrixXd V = random_nonneg(20, 60, 11);
  for (NmfObjective obj : {NmfObjective::Frobenius, NmfObjective::KL}) {
    NmfOptions o;
    o.rank = 5;
    o.iterations = 300;
    o.objective = obj;
    const NmfResult r = nmf(V, o);
    REQUIRE(r.objective.size() == 301);
    int increases = 0;
    for (size_t i = 1; i < r.objective.size(); ++i) {
      // allowed: rounding of the sum itself, 1e-12 relative
      if (r.objective[i] > r.objective[i - 1] * (1 + 1e-12)) ++increases;
    }
    INFO(nmf_objective_name(obj) << ": " << r.objective.front() << " -> " << r.objective.back());
    CHECK(increases == 0);
    CHECK(r.objective.back() < 0.5 * r.objective.front());
    CHECK(r.W.minCoeff() >= 0);
    CHECK(r.H.minCoeff() >= 0);
  }
}

TEST_CASE("nmf: updates agree with an independent plain-loop implementation", "[embeddings][nmf]") {
  const Eigen::MatrixXd V = random_nonneg(7, 13, 5);
  for (NmfObjective obj : {NmfObjective::Frobenius, NmfObjective::KL}) {
    NmfOptions o;
    o.rank = 3;
    o.iterations = 40;
    o.objective = obj;
    const NmfResult r = nmf(V, o);
    Eigen::MatrixXd W, H;
    nmf_init(V, o.rank, o.seed, W, H);
    for (int it = 0; it < o.iterations; ++it) naive_update(V, W, H, obj, o.epsilon);
    INFO(nmf_objective_name(obj));
    CHECK((W - r.W).cwiseAbs().maxCoeff() < 1e-9);
    CHECK((H - r.H).cwiseAbs().maxCoeff() < 1e-9);
    // The objective, summed here independently.
    double f = 0;
    const Eigen::MatrixXd WH = W * H;
    for (int j = 0; j < V.cols(); ++j) {
      for (int i = 0; i < V.rows(); ++i) {
        f += obj == NmfObjective::Frobenius ? 0.5 * (V(i, j) - WH(i, j)) * (V(i, j) - WH(i, j))
                                            : V(i, j) * std::log(V(i, j) / WH(i, j)) - V(i, j) + WH(i, j);
      }
    }
    CHECK(r.objective.back() == Approx(f).epsilon(1e-9));
  }
}

TEST_CASE("nmf recovers known non-negative parts up to permutation and scale", "[embeddings][nmf]") {
  // Four parts on a 4 x 4 image: the four 2 x 2 quadrants, each with an uneven
  // profile; 300 samples mix them with random non-negative weights.
  const int D = 16, r = 4, N = 300;
  Eigen::MatrixXd parts = Eigen::MatrixXd::Zero(D, r);
  for (int a = 0; a < r; ++a) {
    const int top = (a / 2) * 2, left = (a % 2) * 2;
    for (int i = 0; i < 2; ++i) {
      for (int j = 0; j < 2; ++j) parts((top + i) * 4 + left + j, a) = 1.0 + i + 0.5 * j;
    }
  }
  const Eigen::MatrixXd V = parts * random_nonneg(r, N, 9);
  for (NmfObjective obj : {NmfObjective::Frobenius, NmfObjective::KL}) {
    NmfOptions o;
    o.rank = r;
    o.iterations = 1500;
    o.objective = obj;
    NmfResult res = nmf(V, o);
    nmf_normalize(res.W, res.H);
    // Cosine of each true part to its best learned part; the best matches form a permutation.
    std::vector<int> used(r, 0);
    double worst = 1;
    for (int a = 0; a < r; ++a) {
      int best = -1;
      double best_cos = -1;
      for (int b = 0; b < r; ++b) {
        const double c = parts.col(a).normalized().dot(res.W.col(b));
        if (c > best_cos) best_cos = c, best = b;
      }
      used[best]++;
      worst = std::min(worst, best_cos);
    }
    INFO(nmf_objective_name(obj) << ": worst cosine " << worst << ", relative residual "
                                 << (V - res.W * res.H).norm() / V.norm());
    CHECK(worst > 0.99);
    CHECK(std::count(used.begin(), used.end(), 1) == r);
  }
}

TEST_CASE("nmf: bad input is named", "[embeddings][nmf]") {
  Eigen::MatrixXd V = random_nonneg(3, 4, 1);
  V(2, 1) = -0.5;
  CHECK_THROWS_WITH(nmf(V, NmfOptions{}), Catch::Contains("V(2, 1)"));
  NmfOptions o;
  o.rank = 0;
  CHECK_THROWS_WITH(nmf(random_nonneg(3, 4, 1), o), Catch::Contains("--rank 0"));
  CHECK_THROWS_WITH(parse_nmf_objective("l1"), Catch::Contains("--nmf-objective 'l1'"));
}
