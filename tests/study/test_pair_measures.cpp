// The study's extra measures (study/pair_measures.h) on LayerView::features:
// the rotation-free stand-in for a wide layer and the narrow layer without its
// constant columns must give what the analysis gives on the layer itself; the
// range over pairs is a plain loop's; a distance differs above the ceiling,
// a similarity below; the disagreement table lists exactly the split verdicts.
#include <cmath>
#include <filesystem>
#include <limits>

#include "analysis/cca.h"
#include "analysis/knn_overlap.h"
#include "analysis/procrustes.h"
#include "datasets/npy.h"
#include "study/pair_measures.h"
#include "study/similarity_to_bp.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace {

Eigen::MatrixXd random_matrix(Eigen::Index n, Eigen::Index p, uint32_t seed) {
  const std::vector<float> v = ml_test::random_vector(n * p, seed);
  Eigen::MatrixXd x(n, p);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < p; ++j) x(i, j) = v[i * p + j];
  return x;
}

std::string save(const fs::path& dir, const std::string& name, const Eigen::MatrixXd& x) {
  std::vector<float> v(x.size());
  for (Eigen::Index i = 0; i < x.rows(); ++i)
    for (Eigen::Index j = 0; j < x.cols(); ++j) v[i * x.cols() + j] = static_cast<float>(x(i, j));
  const std::string path = (dir / name).string();
  ml::write_npy(path, v.data(), {x.rows(), x.cols()});
  return path;
}

// The analysis functions on the layers themselves: the oracle (analysis/ is tested against its own oracles).
double direct(int m, const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  switch (m) {
    case 0: return ml::procrustes_distance(a, b).distance;
    case 1: return ml::cca_similarity(a, b, ml::CcaMethod::svcca).value;
    case 2: return ml::cca_similarity(a, b, ml::CcaMethod::pwcca).value;
    case 3: return ml::cca_similarity(a, b, ml::CcaMethod::mean).value;
    default: return ml::mutual_knn(a, b, ml::kPairMeasureKnnK);
  }
}

// What the study reads back: the float32 file, so the oracle sees the same rounded values.
Eigen::MatrixXd as_float(const Eigen::MatrixXd& x) { return x.cast<float>().cast<double>(); }

// A layer of rank-5 structure plus a little noise: 99% of its variance in a few directions, so the CCAs'
// reductions keep few dimensions and no canonical correlation is 1 merely because the spans must meet (PWCCA's
// weights would then depend on an arbitrary basis of that shared span).
Eigen::MatrixXd low_rank(Eigen::Index n, Eigen::Index p, uint32_t seed) {
  return random_matrix(n, 5, seed) * random_matrix(5, p, seed + 100) + 0.01 * random_matrix(n, p, seed + 200);
}

// X's principal components U S by a second route (an SVD of the centred matrix, not an eigendecomposition).
Eigen::MatrixXd principal_components(Eigen::MatrixXd x) {
  x.rowwise() -= x.colwise().mean();
  Eigen::BDCSVD<Eigen::MatrixXd> svd(x, Eigen::ComputeThinU);
  return svd.matrixU() * svd.singularValues().asDiagonal();
}

}  // namespace

TEST_CASE("pair measures: a wide layer's U S stand-in and a narrow layer without its dead units match the analysis",
          "[study][measures]") {
  ml_test::TempDir dir("pair-measures");
  const Eigen::Index n = 40;
  const Eigen::MatrixXd wide_a = as_float(low_rank(n, 70, 1));        // wider than N - 2: U S
  const Eigen::MatrixXd wide_b = as_float(low_rank(n, 45, 2) * 3.0);  // also wide
  Eigen::MatrixXd narrow = as_float(low_rank(n, 12, 3));
  narrow.col(4).setConstant(0.0);   // a dead unit
  narrow.col(9).setConstant(1.5);   // a constant one
  Eigen::MatrixXd narrow_live(n, 10);  // the oracle's input: the same layer with the two columns cut by hand
  for (Eigen::Index j = 0, k = 0; j < 12; ++j)
    if (j != 4 && j != 9) narrow_live.col(k++) = narrow.col(j);

  const ml::LayerView va = ml::layer_view(save(dir.path, "a.npy", wide_a), n, true);
  const ml::LayerView vb = ml::layer_view(save(dir.path, "b.npy", wide_b), n, true);
  const ml::LayerView vc = ml::layer_view(save(dir.path, "c.npy", narrow), n, true);
  CHECK(va.features.rows() == n);
  CHECK(va.features.cols() == n - 1);
  CHECK(vc.features.cols() == 10);
  for (int m = 0; m < ml::kPairMeasureCount; ++m) {
    INFO(ml::kPairMeasures[m]);
    // PWCCA weights by the first side's columns: a wide first side's are its principal components.
    const Eigen::MatrixXd first = m == 2 ? principal_components(wide_a) : wide_a;
    CHECK_THAT(ml::pair_measure(m, va.features, vb.features), Catch::WithinRel(direct(m, first, wide_b), 1e-6));
    CHECK_THAT(ml::pair_measure(m, va.features, vc.features), Catch::WithinRel(direct(m, first, narrow_live), 1e-6));
    CHECK_THAT(ml::pair_measure(m, vc.features, vb.features), Catch::WithinRel(direct(m, narrow_live, wide_b), 1e-6));
  }
}

TEST_CASE("pair measures: range over pairs is a plain loop's, an undefined pair left out", "[study][measures]") {
  ml_test::TempDir dir("pair-range");
  const Eigen::Index n = 30;
  std::vector<ml::LayerView> v;
  for (uint32_t s = 0; s < 3; ++s)
    v.push_back(ml::layer_view(save(dir.path, std::to_string(s) + ".npy", random_matrix(n, 8, 10 + s)), n, true));
  v.push_back(ml::layer_view(save(dir.path, "dead.npy", Eigen::MatrixXd::Zero(n, 8)), n, true));  // no variance
  const std::vector<std::pair<const ml::LayerView*, const ml::LayerView*>> pairs{
      {&v[0], &v[1]}, {&v[0], &v[2]}, {&v[1], &v[2]}, {&v[0], &v[3]}};
  for (int m = 0; m < ml::kPairMeasureCount; ++m) {
    INFO(ml::kPairMeasures[m]);
    CHECK(std::isnan(ml::pair_measure(m, v[0].features, v[3].features)));
    double sum = 0, lo = 1e300, hi = -1e300;
    for (int k = 0; k < 3; ++k) {
      const double x = direct(m, random_matrix(n, 8, 10 + (k == 2 ? 1 : 0)), random_matrix(n, 8, 10 + (k == 0 ? 1 : 2)));
      sum += x, lo = std::min(lo, x), hi = std::max(hi, x);
    }
    const ml::PairsRange r = ml::range_over_pairs(m, pairs);
    CHECK(r.defined == 3);
    CHECK_THAT(r.mean, Catch::WithinRel(sum / 3, 1e-5));
    CHECK_THAT(r.min, Catch::WithinRel(lo, 1e-5));
    CHECK_THAT(r.max, Catch::WithinRel(hi, 1e-5));
  }
}

TEST_CASE("pair measures: the CCAs over pairs sharing wide layers give pair_measure's numbers", "[study][measures]") {
  // Each layer's basis is computed once for all its pairs (range_over_pairs); a layer wider than the images
  // (its features U S padded to N - 1 columns) is reduced for every CCA. The oracle: pair_measure per pair (to
  // rounding: in the parallel loop Eigen's products run on one thread). The wide layers have 5 latent dimensions,
  // so no correlation is 1 by construction (there PWCCA's weights depend on a basis of the tied eigenvectors).
  ml_test::TempDir dir("pair-range-wide");
  const Eigen::Index n = 24;
  std::vector<ml::LayerView> v;
  const Eigen::MatrixXd latent = random_matrix(n, 5, 59);
  for (uint32_t s = 0; s < 4; ++s) {
    const Eigen::MatrixXd x = s < 2 ? Eigen::MatrixXd(latent * random_matrix(5, 40, 60 + s) + 0.01 * random_matrix(n, 40, 70 + s))
                                    : random_matrix(n, 6, 60 + s);
    v.push_back(ml::layer_view(save(dir.path, std::to_string(s) + ".npy", x), n, true));
  }
  const std::vector<std::pair<const ml::LayerView*, const ml::LayerView*>> pairs{
      {&v[0], &v[1]}, {&v[0], &v[2]}, {&v[1], &v[2]}, {&v[3], &v[0]}, {&v[2], &v[3]}, {&v[3], &v[1]}};
  for (int m : {1, 2, 3}) {
    INFO(ml::kPairMeasures[m]);
    double sum = 0, lo = 1e300, hi = -1e300;
    for (const auto& [a, b] : pairs) {
      const double x = ml::pair_measure(m, a->features, b->features);
      REQUIRE(std::isfinite(x));
      sum += x, lo = std::min(lo, x), hi = std::max(hi, x);
    }
    const ml::PairsRange r = ml::range_over_pairs(m, pairs);
    CHECK(r.defined == 6);
    CHECK_THAT(r.min, Catch::WithinRel(lo, 1e-9));
    CHECK_THAT(r.max, Catch::WithinRel(hi, 1e-9));
    CHECK_THAT(r.mean, Catch::WithinRel(sum / 6, 1e-9));
  }
}

TEST_CASE("differs: a distance above the ceiling, a similarity below it; disagreements listed", "[study][measures]") {
  ml::SimilarityToBp s;
  auto row = [](const std::string& measure, const std::string& model, double lo, double hi) {
    ml::SimilarityRow r;
    r.layer = "fc1", r.measure = measure, r.model = model, r.value = (lo + hi) / 2, r.ci_low = lo, r.ci_high = hi;
    return r;
  };
  s.ceilings = {row("procrustes", "bp", 0.2, 0.3), row("svcca", "bp", 0.8, 0.9), row("knn", "bp", 0.5, 0.6)};
  s.to_bp = {row("procrustes", "fa", 0.35, 0.5),  // farther than any bp pair: differs
             row("svcca", "fa", 0.7, 0.85),       // overlaps: not shown
             row("knn", "fa", 0.3, 0.4),          // below: differs
             row("procrustes", "dfa", 0.1, 0.15), // closer than the ceiling: no claim of difference
             row("svcca", "dfa", 0.95, 0.99), row("knn", "dfa", 0.55, 0.7)};
  CHECK(s.differs(s.to_bp[0]));
  CHECK(!s.differs(s.to_bp[1]));
  CHECK(s.differs(s.to_bp[2]));
  CHECK(!s.differs(s.to_bp[3]));
  CHECK(!s.differs(s.to_bp[4]));
  const auto d = ml::measure_disagreements(s);
  REQUIRE(d.size() == 1);  // dfa: every measure agrees (not shown)
  CHECK(d[0].model == "fa");
  CHECK(d[0].differ == std::vector<std::string>{"procrustes", "knn"});
  CHECK(d[0].not_shown == std::vector<std::string>{"svcca"});
  CHECK_THAT(ml::similarity_sentence(s, s.to_bp[0]), Catch::Contains("above the bp-seed ceiling"));
}
