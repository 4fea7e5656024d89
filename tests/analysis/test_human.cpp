// The measures against people on fixtures worked by hand (fractions in the
// comments), the RDM measures against naive loops in double, and bad input.
// Eigen's AVX-512 kernels trip GCC 12's -Wmaybe-uninitialized inside avx512fintrin.h
// (a false positive in system code inlined into ours; see CMakeLists.txt).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <cmath>
#include <limits>
#include <vector>

#include "analysis/error_consistency.h"
#include "analysis/human.h"
#include "analysis/human_measures.h"
#include "analysis/human_rdm.h"
#include "analysis/rdm_compare.h"
#include "analysis_test_util.h"
#include "test_util.h"

using Catch::Matchers::Contains;

namespace {

bool near(double a, double b, double tol = 1e-12) { return std::fabs(a - b) < tol; }

// Six images, three classes, true labels 0 0 1 1 2 2; people per class:
//   image  counts   n  k  majority
//   0      4 0 0    4  4  0
//   1      1 3 0    4  1  1   (people mostly wrong)
//   2      0 3 1    4  3  1
//   3      2 2 0    4  2  0   (tie 0/1: the lowest class)
//   4      0 0 2    2  2  2
//   5      1 1 4    6  4  2
// The model puts 0.8 on the people's majority class and 0.1 on each other.
struct Fixture {
  ml::HumanInputs in;
  Fixture() {
    in.counts.resize(6, 3);
    in.counts << 4, 0, 0, 1, 3, 0, 0, 3, 1, 2, 2, 0, 0, 0, 2, 1, 1, 4;
    in.human = in.counts.array().colwise() / in.counts.rowwise().sum().array();
    const int majority[6] = {0, 1, 1, 0, 2, 2};
    in.model = Eigen::MatrixXd::Constant(6, 3, 0.1);
    for (int i = 0; i < 6; ++i) in.model(i, majority[i]) = 0.8;
    in.labels = {0, 0, 1, 1, 2, 2};
  }
};

// Correlation distance of two rows, and average ranks by counting: loops in double.
double naive_correlation_distance(const Eigen::RowVectorXd& a, const Eigen::RowVectorXd& b) {
  const double ma = a.mean(), mb = b.mean();
  double ab = 0, aa = 0, bb = 0;
  for (Eigen::Index c = 0; c < a.size(); ++c) {
    ab += (a(c) - ma) * (b(c) - mb), aa += (a(c) - ma) * (a(c) - ma), bb += (b(c) - mb) * (b(c) - mb);
  }
  return 1 - ab / std::sqrt(aa * bb);
}

std::vector<double> naive_ranks(const std::vector<double>& v) {
  std::vector<double> r(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    double less = 0, equal = 0;
    for (double w : v) less += w < v[i], equal += w == v[i];
    r[i] = less + (equal + 1) / 2;
  }
  return r;
}

double naive_pearson(const std::vector<double>& a, const std::vector<double>& b) {
  double ma = 0, mb = 0;
  for (size_t i = 0; i < a.size(); ++i) ma += a[i] / a.size(), mb += b[i] / b.size();
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < a.size(); ++i) ab += (a[i] - ma) * (b[i] - mb), aa += (a[i] - ma) * (a[i] - ma), bb += (b[i] - mb) * (b[i] - mb);
  return ab / std::sqrt(aa * bb);
}

// Spearman of the correlation-distance RDMs of x's and y's rows over the
// pairs s < t of index with different images.
double naive_rdm_spearman(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, const std::vector<int64_t>& index) {
  std::vector<double> a, b;
  for (size_t s = 0; s < index.size(); ++s)
    for (size_t t = s + 1; t < index.size(); ++t) {
      if (index[s] == index[t]) continue;
      a.push_back(naive_correlation_distance(x.row(index[s]), x.row(index[t])));
      b.push_back(naive_correlation_distance(y.row(index[s]), y.row(index[t])));
    }
  return naive_pearson(naive_ranks(a), naive_ranks(b));
}

// Random probability rows (a softmax of Gaussians).
Eigen::MatrixXd random_probs(Eigen::Index n, Eigen::Index c, uint32_t seed) {
  Eigen::MatrixXd p = ml_test::randn(n, c, seed).array().exp();
  return p.array().colwise() / p.rowwise().sum().array();
}

}  // namespace

TEST_CASE("human: a model identical to the people's majority, every measure by hand", "[human]") {
  const Fixture f;
  const ml::HumanTerms t = ml::human_terms(f.in);
  const ml::HumanScores s = ml::human_scores(f.in, t, ml::all_rows(6));
  // h on the majority class: 1, 3/4, 3/4, 1/2, 1, 2/3 (sum 14/3); the rest of h on 0.1.
  CHECK(near(s.cross_entropy, -(14.0 / 3 * std::log(0.8) + 4.0 / 3 * std::log(0.1)) / 6));
  CHECK(s.agreement == 1.0);
  // c = 1 0 1 0 1 1 (acc_m 2/3); h_i = k/n = 1, 1/4, 3/4, 1/2, 1, 2/3 (acc_h 25/36);
  // c_obs = (1 + 3/4 + 3/4 + 1/2 + 1 + 2/3) / 6 = 7/9; c_exp = 2/3 25/36 + 1/3 11/36 = 61/108;
  // kappa = (84 - 61) / (108 - 61) = 23/47.
  CHECK(near(s.error_consistency, 23.0 / 47));
  // Two people: (k(k-1) + (n-k)(n-k-1)) / (n(n-1)) = 1, 1/2, 1/2, 1/3, 1, 7/15 -> c_obs 19/30;
  // c_exp = (25/36)^2 + (11/36)^2 = 373/648; kappa = (2052 - 1865) / (3240 - 1865) = 187/1375.
  CHECK(near(s.error_consistency_ceiling, 187.0 / 1375));
  CHECK(near(ml::error_consistency_ceiling({4, 1, 3, 2, 2, 4}, {4, 4, 4, 4, 2, 6}), 187.0 / 1375));

  // Without counts, h_i is the people's probability of the true class (the same here), and the
  // majority is argmax h; the ceiling is NaN.
  ml::HumanInputs no_counts = f.in;
  no_counts.counts.resize(0, 0);
  const ml::HumanScores p = ml::human_scores(no_counts, ml::human_terms(no_counts), ml::all_rows(6));
  CHECK(near(p.error_consistency, 23.0 / 47));
  CHECK(p.agreement == 1.0);
  CHECK(std::isnan(p.error_consistency_ceiling));
}

TEST_CASE("human: error consistency of independent, identical and opposite errors", "[human]") {
  // A model right on images 0-1 of 4; people all right on 0 and 2, all wrong on 1 and 3:
  // c_obs = (1 + 0 + 0 + 1) / 4 = 1/2 = c_exp (both at 1/2): independent, kappa 0.
  CHECK(near(ml::error_consistency({1, 1, 0, 0}, {1, 0, 1, 0}), 0.0));
  CHECK(near(ml::error_consistency({1, 0, 1, 0}, {1, 0, 1, 0}), 1.0));
  CHECK(near(ml::error_consistency({0, 1, 0, 1}, {1, 0, 1, 0}), -1.0));
  // Both always right: nothing to be consistent about.
  CHECK(std::isnan(ml::error_consistency({1, 1}, {1, 1})));
  CHECK_THROWS_WITH(ml::error_consistency_ceiling({1, 1}, {2, 1}), Contains("image 1 has 1 people"));
}

TEST_CASE("human: cross-entropy, majority agreement, confusion correlation by hand", "[human]") {
  // 4 images, 3 classes; true labels 0, 0, 1, 2.
  Eigen::MatrixXd p(4, 3), h(4, 3);
  p << 0.5, 0.25, 0.25,   // argmax 0
      0.25, 0.5, 0.25,    // argmax 1
      0.25, 0.5, 0.25,    // argmax 1
      0.5, 0.25, 0.25;    // argmax 0
  h << 1.0, 0.0, 0.0,     // majority 0 (agrees)
      0.5, 0.5, 0.0,      // tie 0/1 -> 0 (disagrees with 1)
      0.0, 1.0, 0.0,      // 1 (agrees)
      0.0, 0.0, 1.0;      // 2 (disagrees)
  const ml::HumanComparison r = ml::compare_with_humans(p, h, {0, 0, 1, 2});
  // -[log .5] - [.5 log .25 + .5 log .5] - [log .5] - [log .25], averaged.
  const double ce = (std::log(2.0) + (0.5 * std::log(4.0) + 0.5 * std::log(2.0)) + std::log(2.0) + std::log(4.0)) / 4;
  CHECK(near(r.cross_entropy, ce));
  CHECK(r.agreement == 0.5);
  // Soft confusions (rows: true class), off-diagonal entries in row order:
  // model: (0,1) .375 (0,2) .25 (1,0) .25 (1,2) .25 (2,0) .5 (2,1) .25
  // human: (0,1) .25  (0,2) 0   (1,0) 0   (1,2) 0   (2,0) 0  (2,1) 0
  // model mean 0.3125; deviations .0625 -.0625 -.0625 -.0625 .1875 -.0625
  // human mean 1/24; deviations 5/24 then -1/24 x 5
  const double sab = 0.0625 * 5.0 / 24 + (-0.0625 * -1.0 / 24) * 3 + 0.1875 * -1.0 / 24 + (-0.0625 * -1.0 / 24);
  const double saa = 0.0625 * 0.0625 * 4 + 0.1875 * 0.1875 + 0.0625 * 0.0625;
  const double sbb = 25.0 / 576 + 5.0 / 576;
  CHECK(near(r.confusion_correlation, sab / std::sqrt(saa * sbb)));
  CHECK(near(r.model_confusion(0, 1), 0.375));
}

TEST_CASE("human: a resample's repeated rows count as often as they are drawn", "[human]") {
  const Fixture f;
  const std::vector<int64_t> rows = {5, 1, 1, 3, 0, 5, 5};
  ml::HumanInputs copy;  // the same rows written out
  copy.model.resize(7, 3), copy.human.resize(7, 3), copy.counts.resize(7, 3);
  for (size_t k = 0; k < rows.size(); ++k) {
    copy.model.row(k) = f.in.model.row(rows[k]);
    copy.human.row(k) = f.in.human.row(rows[k]);
    copy.counts.row(k) = f.in.counts.row(rows[k]);
    copy.labels.push_back(f.in.labels[rows[k]]);
  }
  const ml::HumanScores a = ml::human_scores(f.in, ml::human_terms(f.in), rows);
  const ml::HumanScores b = ml::human_scores(copy, ml::human_terms(copy), ml::all_rows(7));
  CHECK(near(a.cross_entropy, b.cross_entropy));
  CHECK(near(a.error_consistency, b.error_consistency));
  CHECK(near(a.error_consistency_ceiling, b.error_consistency_ceiling));
  CHECK(near(a.confusion_correlation, b.confusion_correlation));
}

TEST_CASE("human RDM: Spearman of the correlation-distance RDMs against naive loops", "[human]") {
  const Eigen::MatrixXd model = random_probs(9, 4, 1), human = random_probs(9, 4, 2);
  CHECK(near(ml::human_rdm_spearman(model, human), naive_rdm_spearman(model, human, ml::all_rows(9)), 1e-10));
  CHECK(near(ml::human_rdm_spearman(human, human), 1.0));
  Eigen::MatrixXd uniform = model;
  uniform.row(4).setConstant(0.25);
  CHECK(std::isnan(ml::human_rdm_spearman(uniform, human)));
}

TEST_CASE("human RDM: split halves of the people", "[human]") {
  Eigen::MatrixXd counts(5, 3);
  counts << 10, 5, 0, 3, 3, 1, 0, 2, 0, 7, 0, 8, 1, 1, 1;
  const auto [a, b] = ml::split_half_counts(counts, 7);
  CHECK((a + b - counts).cwiseAbs().maxCoeff() == 0.0);
  for (Eigen::Index i = 0; i < 5; ++i) {
    CHECK(a.row(i).sum() == std::floor(counts.row(i).sum() / 2));
    CHECK(a.row(i).minCoeff() >= 0);
    CHECK(b.row(i).minCoeff() >= 0);
  }
  // A row's split does not depend on the other rows; another seed splits differently.
  const auto [a2, b2] = ml::split_half_counts(counts.topRows(2), 7);
  CHECK(a2 == a.topRows(2));
  int differ = 0;
  for (uint64_t seed = 8; seed < 18; ++seed) differ += ml::split_half_counts(counts, seed).first != a;
  CHECK(differ > 0);
  Eigen::MatrixXd one(1, 3);
  one << 0, 1, 0;
  CHECK_THROWS_WITH(ml::split_half_counts(one, 1), Contains("row 0 has 1 responses"));

  // Identical halves: r = 1, and 2 * 1 / (1 + 1) = 1.
  Eigen::MatrixXd half(4, 3);
  half << 5, 1, 0, 2, 2, 3, 0, 1, 6, 4, 4, 1;
  CHECK(near(ml::split_half_ceiling(half, half), 1.0));
  CHECK(near(ml::spearman_brown(0.5), 2.0 / 3));
  CHECK(near(ml::split_half_ceiling(half, counts.topRows(4)),
             ml::spearman_brown(naive_rdm_spearman(ml::probabilities_from_counts(half),
                                                   ml::probabilities_from_counts(counts.topRows(4)), ml::all_rows(4))),
             1e-10));
}

TEST_CASE("human measures: the list, the RDM subset, bootstrap intervals against a naive loop", "[human]") {
  // Random counts (no tied distances, so that the naive loops rank the pairs as the library does).
  const int n = 9, classes = 4;
  ml::HumanInputs in;
  in.counts = (ml_test::randn(n, classes, 5).array().abs() * 6).floor().matrix();
  in.counts.col(0).array() += 2;  // n_i >= 2
  in.human = in.counts.array().colwise() / in.counts.rowwise().sum().array();
  in.model = random_probs(n, classes, 6);
  for (int i = 0; i < n; ++i) in.labels.push_back(i % classes);
  ml::HumanOptions opt;
  opt.rdm_images = 7;
  opt.bootstrap = 200;
  opt.boot_seed = 3;
  const ml::HumanMeasures r = ml::measure_against_people(in, opt);
  CHECK(r.images == n);
  CHECK(r.rdm_images == 7);
  const std::vector<std::string> names = {"cross_entropy",         "human_majority_agreement", "error_consistency",
                                          "error_consistency_ceiling", "confusion_correlation", "human_rdm_spearman",
                                          "human_rdm_ceiling"};
  REQUIRE(r.measures.size() == names.size());
  for (size_t k = 0; k < names.size(); ++k) CHECK(r.measures[k].metric == names[k]);
  const ml::HumanScores whole = ml::human_scores(in, ml::human_terms(in), ml::all_rows(n));
  CHECK(r.measures[2].value == whole.error_consistency);
  CHECK(r.measures[3].value == whole.error_consistency_ceiling);
  const Eigen::MatrixXd m7 = in.model.topRows(7), h7 = in.human.topRows(7);
  CHECK(near(r.measures[5].value, naive_rdm_spearman(m7, h7, ml::all_rows(7)), 1e-10));
  const auto [a, b] = ml::split_half_counts(in.counts.topRows(7), opt.split_seed);
  CHECK(near(r.measures[6].value, ml::split_half_ceiling(a, b), 1e-10));

  // The intervals: the percentiles of each resample's value, computed by hand.
  std::vector<double> ce, rdm;
  for (int d = 0; d < opt.bootstrap; ++d) {
    double s = 0;
    for (int64_t i : ml::bootstrap_resample(n, d, 3))
      for (int c = 0; c < classes; ++c)
        if (in.human(i, c) > 0) s -= in.human(i, c) * std::log(in.model(i, c)) / n;
    ce.push_back(s);
    rdm.push_back(naive_rdm_spearman(m7, h7, ml::bootstrap_resample(7, d, 3)));
  }
  const ml::BootstrapInterval want = ml::percentile_interval(ce), want_rdm = ml::percentile_interval(rdm);
  REQUIRE(r.measures[0].ci);
  CHECK(near(r.measures[0].ci->low, want.low));
  CHECK(near(r.measures[0].ci->high, want.high));
  CHECK(r.measures[0].ci->low < r.measures[0].ci->high);
  REQUIRE(r.measures[5].ci);
  CHECK(near(r.measures[5].ci->low, want_rdm.low, 1e-10));
  CHECK(near(r.measures[5].ci->high, want_rdm.high, 1e-10));
  // The ceiling's interval: Spearman-Brown of the interval of the halves' r, by hand.
  std::vector<double> halves;
  for (int d = 0; d < opt.bootstrap; ++d)
    halves.push_back(naive_rdm_spearman(ml::probabilities_from_counts(a), ml::probabilities_from_counts(b),
                                        ml::bootstrap_resample(7, d, 3)));
  const ml::BootstrapInterval want_halves = ml::percentile_interval(halves);
  REQUIRE(r.measures[6].ci);
  CHECK(near(r.measures[6].ci->low, ml::spearman_brown(want_halves.low), 1e-10));
  CHECK(near(r.measures[6].ci->high, ml::spearman_brown(want_halves.high), 1e-10));
  for (const auto& m : r.measures) CHECK(m.ci->draws == 200);

  // Without labels and counts: only the measures they do not need, and no intervals without --bootstrap.
  const ml::HumanInputs bare{in.model, in.human, {}, {}};
  const ml::HumanMeasures p = ml::measure_against_people(bare, {});
  REQUIRE(p.measures.size() == 3);
  CHECK(p.measures[2].metric == "human_rdm_spearman");
  CHECK(p.rdm_images == n);
  CHECK(!p.measures[0].ci);
}

TEST_CASE("human: bad input is one line naming the input and the row", "[human]") {
  const Fixture f;
  const auto fails = [](ml::HumanInputs in, const char* says) {
    INFO(says);
    CHECK_THROWS_WITH(ml::check_human_inputs(in, {"m.npy", "h.npy", "c.npy", "l.npy"}), Contains(says));
  };
  ml::HumanInputs in = f.in;
  in.human = f.in.human.topRows(5);
  fails(in, "h.npy has 5 rows but m.npy has 6");
  in = f.in;
  in.counts = Eigen::MatrixXd::Ones(6, 4);
  fails(in, "c.npy has 4 classes but m.npy has 3");
  in = f.in;
  in.counts(4, 2) = 1;  // n_4 = 1
  fails(in, "c.npy: row 4 has 1 responses");
  in = f.in;
  in.counts(1, 1) = 2.5;
  fails(in, "c.npy: row 1 column 1 is 2.5");
  in = f.in;
  in.labels[3] = 3;
  fails(in, "l.npy: row 3 has class 3, outside [0, 3)");
  in = f.in;
  in.labels.pop_back();
  fails(in, "l.npy has 5 labels but m.npy has 6 rows");
  in = f.in;
  in.model(2, 1) = std::numeric_limits<double>::quiet_NaN();
  fails(in, "m.npy: row 2 has a value that is not finite");
  in = f.in;
  in.human(2, 0) = 0.9;
  fails(in, "h.npy: row 2 sums to");
  CHECK_NOTHROW(ml::check_human_inputs(f.in));
  CHECK_THROWS_WITH(ml::compare_with_humans(f.in.model, f.in.human, {0, 1, 5, 0, 0, 0}), Contains("row 2 has class 5"));
}
