// Inputs where an analysis is undefined (a constant RDM, identical rows, a
// constant row) or where a naive computation leaves the float range (values
// near 1e19..3e38): ml-analyze refuses the first with one line naming the file,
// and gets the second right, against double-precision loops written here.
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "analysis/cka.h"
#include "analysis/matrix_io.h"
#include "analysis/rdm.h"
#include "analysis_test_util.h"
#include "analyze_cli_util.h"
#include "datasets/npy.h"
#include "test_util.h"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using ml_test::TempDir;

namespace {

using ml_test::analyze;
using Run = ml_test::AnalyzeRun;

using ml_test::save_f4;

size_t lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

// The "value" column of the CSV's first data row.
double csv_value(const std::string& csv) {
  std::istringstream in(csv);
  std::string header, row, field;
  std::getline(in, header), std::getline(in, row);
  std::istringstream h(header), r(row);
  while (std::getline(h, field, ',')) {
    std::string value;
    std::getline(r, value, ',');
    if (field == "value") return std::stod(value);
  }
  FAIL("no value column in:\n" << csv);
  return NAN;
}

// The refusal every case below expects: exit 1, one line naming `names`, no --out written.
void require_refusal(const Run& r, const std::string& out, const std::vector<std::string>& names,
                     const std::string& why) {
  INFO(r.err);
  CHECK(r.status == 1);
  CHECK(lines(r.err) == 1);
  CHECK_THAT(r.err, Contains("error"));
  for (const auto& n : names) CHECK_THAT(r.err, Contains(n));
  CHECK_THAT(r.err, Contains(why));
  CHECK_THAT(r.err, !Contains("nan"));
  if (!out.empty()) CHECK_FALSE(fs::exists(out));
}

// A symmetric RDM with a zero diagonal and every off-diagonal entry v.
Eigen::MatrixXd constant_rdm(Eigen::Index n, double v) {
  Eigen::MatrixXd m = Eigen::MatrixXd::Constant(n, n, v);
  m.diagonal().setZero();
  return m;
}

// Squared Euclidean distance / features between the rows, in double loops.
Eigen::MatrixXd naive_euclidean_rdm(const Eigen::MatrixXd& x) {
  const Eigen::Index n = x.rows(), d = x.cols();
  Eigen::MatrixXd r(n, n);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < n; ++j) {
      double s = 0;
      for (Eigen::Index k = 0; k < d; ++k) s += (x(i, k) - x(j, k)) * (x(i, k) - x(j, k));
      r(i, j) = s / static_cast<double>(d);
    }
  return r;
}

// x rounded to float, as the .npy stores it.
Eigen::MatrixXd as_float(const Eigen::MatrixXd& x) { return x.cast<float>().cast<double>(); }

}  // namespace

TEST_CASE("compare-rdm refuses a constant RDM, naming its file", "[cli][range]") {
  TempDir dir("constant-rdm");
  const std::string flat = dir.file("flat.npy"), varied = dir.file("varied.npy"), zero = dir.file("zero.npy");
  const std::string out = dir.file("out.csv");
  Eigen::MatrixXd v(4, 4);
  v << 0, 1, 2, 3, 1, 0, 4, 5, 2, 4, 0, 6, 3, 5, 6, 0;
  ml::write_matrix_npy(flat, constant_rdm(4, 0.7));
  ml::write_matrix_npy(varied, v);
  ml::write_matrix_npy(zero, constant_rdm(4, 0.0));
  for (const std::string method : {"spearman", "pearson"}) {
    SECTION(method) {
      require_refusal(analyze("compare-rdm " + flat + " " + varied + " --method " + method + " --out " + out, dir),
                      out, {flat}, "the RDM is constant");
      require_refusal(analyze("compare-rdm " + varied + " " + flat + " --method " + method + " --out " + out, dir),
                      out, {flat}, "the RDM is constant");
      // In a list of methods too, with its bootstrap.
      require_refusal(analyze("compare-rdm " + varied + " " + flat + " --method kendall-tau-a," + method +
                                  " --bootstrap 5 --out " + out,
                              dir),
                      out, {flat}, "the RDM is constant");
    }
  }
  SECTION("cosine of an all-zero RDM") {
    require_refusal(analyze("compare-rdm " + varied + " " + zero + " --method cosine --out " + out, dir), out, {zero},
                    "all zeros");
  }
  SECTION("measures that stay defined on a constant RDM still answer") {
    // Kendall tau-a of a constant RDM: no concordant and no discordant pair, 0.
    const Run r = analyze("compare-rdm " + flat + " " + varied + " --method kendall-tau-a", dir);
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(csv_value(r.out) == 0.0);
    // The cosine of a constant (non-zero) RDM with another is defined.
    const Run c = analyze("compare-rdm " + flat + " " + varied + " --method cosine", dir);
    REQUIRE(c.status == 0);
    CHECK(csv_value(c.out) == Approx(21.0 / std::sqrt(6.0 * 91.0)).epsilon(1e-9));
  }
}

TEST_CASE("cka refuses identical rows (a zero centred gram), naming the file", "[cli][range]") {
  TempDir dir("constant-cka");
  const std::string same = dir.file("same.npy"), other = dir.file("other.npy"), out = dir.file("out.csv");
  // Every row the same; 0.1 and 0.7 are not exact in binary, so their column
  // means need not round back to the values themselves.
  Eigen::MatrixXd s(9, 3);
  for (Eigen::Index i = 0; i < s.rows(); ++i) s.row(i) << 0.1, 0.7, -2.3;
  save_f4(same, s);
  save_f4(other, ml_test::randn(9, 4, 11));
  for (const std::string flags : {"", "--debiased", "--kernel rbf", "--kernel rbf --debiased", "--minibatch 4",
                                  "--precision mixed", "--bootstrap 4"}) {
    SECTION(flags.empty() ? std::string("linear") : flags) {
      require_refusal(analyze("cka " + same + " " + other + " " + flags + " --out " + out, dir), out, {same},
                      "undefined");
      require_refusal(analyze("cka " + other + " " + same + " " + flags + " --out " + out, dir), out, {same},
                      "undefined");
    }
  }
  SECTION("cka-matrix names the layer file") {
    fs::create_directories(dir.path / "a"), fs::create_directories(dir.path / "b");
    save_f4((dir.path / "a" / "fc1.npy").string(), ml_test::randn(9, 4, 12));
    save_f4((dir.path / "a" / "fc2.npy").string(), s);
    save_f4((dir.path / "b" / "fc1.npy").string(), ml_test::randn(9, 5, 13));
    for (const std::string flags : {"", "--kernel rbf"})
      require_refusal(analyze("cka-matrix " + (dir.path / "a").string() + " " + (dir.path / "b").string() + " " +
                                  flags + " --out " + out,
                              dir),
                      out, {(dir.path / "a" / "fc2.npy").string()}, "undefined");
  }
}

TEST_CASE("linear and RBF CKA stay right for values near the float range", "[range]") {
  // Powers of two, so that X * c and Y * c are exact in float and double: every
  // CKA below must equal its unscaled value.
  const Eigen::MatrixXd tall_x = ml_test::randn(40, 5, 21), tall_y = ml_test::randn(40, 6, 22);
  const Eigen::MatrixXd wide_x = ml_test::randn(12, 20, 23), wide_y = ml_test::randn(12, 15, 24);
  for (const auto& [x, y] : {std::pair{tall_x, tall_y}, std::pair{wide_x, wide_y}}) {
    for (const bool mixed : {false, true}) {
      for (const bool debiased : {false, true}) {
        const double xy = ml::linear_cka(x, y, debiased, false), rbf_xy = ml::rbf_cka(x, y, 0.5, debiased, false);
        // 2^63 ~ 9.2e18, 2^100 ~ 1.3e30, 2^126 ~ 8.5e37 (the squared norms' product leaves
        // the double range), 2^-100 ~ 7.9e-31
        for (const int e : {63, 100, 126, -100}) {
          const double c = std::ldexp(1.0, e);
          INFO("rows " << x.rows() << " mixed " << mixed << " debiased " << debiased << " scale 2^" << e);
          CHECK(std::fabs(ml::linear_cka(x * c, x * c, debiased, mixed) - 1.0) < 1e-6);
          CHECK(std::fabs(ml::linear_cka(x * c, y, debiased, mixed) - xy) < 1e-6);
          CHECK(std::fabs(ml::linear_cka(x * c, y * c, debiased, mixed) - xy) < 1e-6);
          CHECK(std::fabs(ml::rbf_cka(x * c, x * c, 0.5, debiased, mixed) - 1.0) < 1e-6);
          CHECK(std::fabs(ml::rbf_cka(x, y * c, 0.5, debiased, mixed) - rbf_xy) < 1e-6);
        }
      }
    }
    const double mb = ml::minibatch_cka(x, y, ml::CkaKernel::linear, 6);
    const double c = std::ldexp(1.0, 100);
    CHECK(std::fabs(ml::minibatch_cka(x * c, x * c, ml::CkaKernel::linear, 6) - 1.0) < 1e-6);
    CHECK(std::fabs(ml::minibatch_cka(x * c, y, ml::CkaKernel::linear, 6) - mb) < 1e-6);
    const Eigen::MatrixXd m = ml::linear_cka_matrix({x * c}, {x * c, y / c});
    CHECK(std::fabs(m(0, 0) - 1.0) < 1e-6);
    CHECK(std::fabs(m(0, 1) - ml::linear_cka(x, y)) < 1e-6);
  }
}

TEST_CASE("ml-analyze cka X X is 1 for X near 1e19, 1e30 and 1e38 in every precision", "[cli][range]") {
  TempDir dir("huge-cka");
  // |x| <= 3, so that 1e38 x stays inside the float range.
  const Eigen::MatrixXd x = ml_test::randn(30, 4, 31).cwiseMax(-3.0).cwiseMin(3.0);
  for (const double scale : {1e19, 1e30, 1e38}) {
    const std::string path = dir.file("x.npy");
    save_f4(path, x * scale);
    for (const std::string precision : {"double", "mixed", "auto"})
      for (const std::string flags : {"", "--debiased", "--kernel rbf", "--bootstrap 20"}) {
        const Run r = analyze("cka " + path + " " + path + " --precision " + precision + " " + flags, dir);
        INFO("scale " << scale << " --precision " << precision << " " << flags << "\n" << r.err << r.out);
        REQUIRE(r.status == 0);
        CHECK(std::fabs(csv_value(r.out) - 1.0) < 1e-6);
        if (flags == "--bootstrap 20") CHECK_THAT(r.out, !Contains("nan"));
      }
  }
}

TEST_CASE("rdm --distance euclidean matches a double loop for values near the float range", "[cli][range]") {
  TempDir dir("huge-rdm");
  for (const double scale : {1.0, 1e19, 1e30, 3e38}) {
    // Within [-scale, scale]: 3e38 stays below float's largest value (3.4e38).
    const Eigen::MatrixXd x = as_float(ml_test::randn(7, 5, 61).cwiseMax(-1.0).cwiseMin(1.0) * scale);
    const Eigen::MatrixXd ref = naive_euclidean_rdm(x);
    const std::string in = dir.file("x.npy"), npy = dir.file("rdm.npy");
    save_f4(in, x);
    for (const bool mixed : {false, true}) {
      INFO("scale " << scale << " mixed " << mixed);
      const Eigen::MatrixXd lib = ml::compute_rdm(x, ml::RdmDistance::euclidean, mixed);
      REQUIRE(lib.allFinite());
      CHECK((lib - ref).cwiseAbs().maxCoeff() <= 1e-6 * ref.maxCoeff());
      fs::remove(npy);
      const std::string precision = mixed ? "mixed" : "double";
      const Run r = analyze("rdm " + in + " --distance euclidean --precision " + precision + " --npy " + npy, dir);
      INFO(r.err);
      REQUIRE(r.status == 0);
      const Eigen::MatrixXd cli = ml::load_matrix_npy(npy);
      CHECK((cli - ref).cwiseAbs().maxCoeff() <= 1e-6 * ref.maxCoeff());
      CHECK_THAT(r.out, !Contains("nan") && !Contains("inf"));
    }
  }
}

TEST_CASE("rdm refuses a constant row, naming the file and the row", "[cli][range]") {
  TempDir dir("constant-row");
  Eigen::MatrixXd x = ml_test::randn(5, 3, 41);
  x.row(2) << 0.1, 0.1, 0.1;  // its mean need not round back to 0.1
  const std::string in = dir.file("acts.npy"), out = dir.file("rdm.csv");
  save_f4(in, x);
  require_refusal(analyze("rdm " + in + " --out " + out, dir), out, {in, "row 2"}, "correlation");
  CHECK_THROWS_WITH(ml::compute_rdm(as_float(x), ml::RdmDistance::correlation), Contains("row 2"));
  SECTION("cosine: an all-zero row") {
    x.row(3).setZero();
    save_f4(in, x);
    require_refusal(analyze("rdm " + in + " --distance cosine --out " + out, dir), out, {in, "row 3"}, "cosine");
  }
  SECTION("--by-class: a constant class mean names the class") {
    Eigen::MatrixXd y(4, 3);
    y << 1, 2, 3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 5, 1, 2;
    save_f4(in, y);
    const std::vector<int64_t> labels = {4, 9, 9, 4};
    const std::string lab = dir.file("labels.npy");
    ml::write_npy(lab, labels.data(), {4});
    require_refusal(analyze("rdm " + in + " --by-class --labels " + lab + " --out " + out, dir), out,
                    {in, "class 9"}, "correlation");
  }
}

TEST_CASE("ml-analyze's number flags name the flag for nan, inf and out-of-range values", "[cli][range]") {
  TempDir dir("float-flags");
  const std::string a = dir.file("a.npy"), b = dir.file("b.npy");
  save_f4(a, ml_test::randn(8, 3, 51));
  save_f4(b, ml_test::randn(8, 4, 52));
  struct Case {
    std::string args, flag, says;
  };
  std::vector<Case> cases;
  for (const std::string v : {"nan", "inf", "-inf", "-1", "1e999", "abc", "0.5x"}) {
    cases.push_back({"cka " + a + " " + b + " --kernel rbf --rbf-scale " + v, "--rbf-scale", "finite positive"});
    cases.push_back({"cka-matrix " + dir.path.string() + " " + dir.path.string() + " --rbf-scale=" + v,
                     "--rbf-scale", "finite positive"});
    cases.push_back({"cca " + a + " " + b + " --keep " + v, "--keep", "(0, 1]"});
    cases.push_back({"procrustes " + a + " " + b + " --alpha " + v, "--alpha", "[0, 1]"});
  }
  cases.push_back({"cka " + a + " " + b + " --rbf-scale 0", "--rbf-scale", "finite positive"});
  cases.push_back({"cca " + a + " " + b + " --keep 0", "--keep", "(0, 1]"});
  cases.push_back({"procrustes " + a + " " + b + " --alpha 1.5", "--alpha", "[0, 1]"});
  for (const auto& c : cases) {
    const Run r = analyze(c.args, dir);
    INFO(c.args << "\n" << r.err);
    CHECK(r.status == 1);
    CHECK(lines(r.err) == 1);
    CHECK_THAT(r.err, Contains(c.flag) && Contains(c.says));
  }
}
