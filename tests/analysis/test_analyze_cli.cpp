// ml-analyze end to end: each subcommand on small files, the CSV/.npy/PNG it
// writes, and one clear line with a non-zero exit on bad input.
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "analysis/cca.h"
#include "analysis/knn_overlap.h"
#include "analysis/matrix_io.h"
#include "analysis/procrustes.h"
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
std::string slurp(const std::string& path) { return ml_test::slurp_file(path); }

void save(const std::string& path, const Eigen::MatrixXd& m) { ml_test::save_f4(path, m); }

void save_labels(const std::string& path, const std::vector<int64_t>& l) {
  ml::write_npy(path, l.data(), {static_cast<int64_t>(l.size())});
}

// The value column of the CSV row whose fields contain every one of keys.
double value_of(const std::string& csv, const std::vector<std::string>& keys) {
  std::istringstream in(csv);
  for (std::string line; std::getline(in, line);) {
    bool all = true;
    for (const auto& k : keys) all = all && line.find(k) != std::string::npos;
    if (all) return std::stod(line.substr(line.rfind(',') + 1));
  }
  FAIL("no CSV row with the given keys in:\n" << csv);
  return NAN;
}

size_t lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

TEST_CASE("ml-analyze rdm: CSV, .npy and PNG; names from the path", "[cli]") {
  TempDir dir("analyze-rdm");
  fs::create_directories(dir.path / "bp" / "acts");
  Eigen::MatrixXd x(4, 2);
  x << 1, 2, 1, 2, 4, 3, 4, 3;
  const std::string a = (dir.path / "bp" / "acts" / "relu1.npy").string();
  save(a, x);
  const Run r = analyze("rdm " + a + " --distance euclidean --out " + dir.file("rdm.csv"), dir);
  REQUIRE(r.status == 0);
  const std::string csv = slurp(dir.file("rdm.csv"));
  CHECK(csv.rfind("model,layer,metric,value\n", 0) == 0);
  CHECK(value_of(csv, {"bp,relu1,rdm_euclidean_max"}) == 5.0);
  CHECK(value_of(csv, {"rdm_euclidean_conditions"}) == 4.0);
  const Eigen::MatrixXd rdm = ml::load_matrix_npy(dir.file("rdm.npy"));  // default name beside --out
  REQUIRE(rdm.rows() == 4);
  CHECK(rdm(0, 2) == 5.0);
  CHECK(rdm(0, 1) == 0.0);
  CHECK(slurp(dir.file("rdm.png")).substr(1, 3) == "PNG");
  // --by-class takes labels.npy from beside the file.
  save_labels((dir.path / "bp" / "acts" / "labels.npy").string(), {0, 0, 1, 1});
  const Run c = analyze("rdm " + a + " --by-class --model mine", dir);
  REQUIRE(c.status == 0);
  CHECK(value_of(c.out, {"mine,relu1,rdm_correlation_by_class_conditions"}) == 2.0);
  CHECK(value_of(c.out, {"rdm_correlation_by_class_mean"}) == 2.0);
}

TEST_CASE("ml-analyze cka: the tutorial's fixtures, every kernel option", "[cli]") {
  TempDir dir("analyze-cka");
  const std::string fx = ml_test::source_dir() + "/tests/fixtures/";
  const Run lin = analyze("cka " + fx + "X.npy " + fx + "Y.npy", dir);
  REQUIRE(lin.status == 0);
  CHECK(lin.out.rfind("model,layer,model_b,layer_b,metric,value\n", 0) == 0);
  CHECK(std::fabs(value_of(lin.out, {",X,", ",Y,", "cka_linear"}) - 0.5576132566) < 1e-9);
  const Run rbf = analyze("cka " + fx + "X.npy " + fx + "Y.npy --kernel rbf --rbf-scale 0.5", dir);
  CHECK(std::fabs(value_of(rbf.out, {"cka_rbf"}) - 0.6548311823) < 1e-9);
  const Run deb = analyze("cka " + fx + "X.npy " + fx + "Y.npy --debiased", dir);
  CHECK(std::fabs(value_of(deb.out, {"cka_linear_debiased"}) - 0.5134564895) < 1e-9);
  const Run mb = analyze("cka " + fx + "X.npy " + fx + "Y.npy --minibatch 100", dir);
  CHECK(std::fabs(value_of(mb.out, {"cka_linear_minibatch"}) - 0.5134564895) < 1e-9);  // one batch = debiased
  // --precision: auto (the default) keeps these small inputs in double; mixed is within 1e-7.
  for (const char* p : {"double", "mixed"}) {
    INFO(p);
    const Run l = analyze("cka " + fx + "X.npy " + fx + "Y.npy --precision " + p, dir);
    REQUIRE(l.status == 0);
    CHECK(std::fabs(value_of(l.out, {"cka_linear"}) - 0.5576132566) < (std::string(p) == "mixed" ? 1e-7 : 1e-9));
    const Run r = analyze("cka " + fx + "X.npy " + fx + "Y.npy --kernel rbf --precision " + p, dir);
    REQUIRE(r.status == 0);
    CHECK(std::fabs(value_of(r.out, {"cka_rbf"}) - 0.6548311823) < (std::string(p) == "mixed" ? 1e-7 : 1e-9));
  }
}

TEST_CASE("ml-analyze cka-matrix: layers.txt order, non-layer files skipped", "[cli]") {
  TempDir dir("analyze-ckam");
  for (const char* run : {"bp", "fa"}) {
    const fs::path acts = dir.path / run / "acts";
    fs::create_directories(acts);
    save((acts / "conv1.npy").string(), ml_test::randn(30, 5, 1));
    save((acts / "fc1.npy").string(), ml_test::randn(30, 3, run[0] == 'b' ? 2 : 3));
    save((acts / "probs.npy").string(), Eigen::MatrixXd::Constant(30, 2, 0.5));
    save_labels((acts / "labels.npy").string(), std::vector<int64_t>(30, 1));
    save_labels((acts / "indices.npy").string(), std::vector<int64_t>(30, 7));
  }
  std::ofstream((dir.path / "bp" / "acts" / "layers.txt").string()) << "fc1\nconv1\n";
  const Run r = analyze("cka-matrix " + (dir.path / "bp" / "acts").string() + " " + (dir.path / "fa" / "acts").string() +
                            " --out " + dir.file("m.csv"),
                        dir);
  REQUIRE(r.status == 0);
  const std::string csv = slurp(dir.file("m.csv"));
  CHECK(lines(csv) == 1 + 4);
  const Eigen::MatrixXd m = ml::load_matrix_npy(dir.file("m.npy"));
  REQUIRE(m.rows() == 2);
  // Row 1 is bp's conv1 (layers.txt order), column 0 fa's conv1 (alphabetical): same data.
  CHECK(std::fabs(m(1, 0) - 1.0) < 1e-6);
  CHECK(std::fabs(value_of(csv, {"bp,conv1,fa,conv1"}) - 1.0) < 1e-6);
  CHECK(slurp(dir.file("m.png")).substr(1, 3) == "PNG");
}

TEST_CASE("ml-analyze compare-rdm, pca, mds, human run and write their CSVs", "[cli]") {
  TempDir dir("analyze-misc");
  Eigen::MatrixXd a(4, 4), b(4, 4);
  a << 0, 1, 2, 3, 1, 0, 4, 5, 2, 4, 0, 6, 3, 5, 6, 0;
  b = a;
  b(0, 1) = b(1, 0) = 7;
  save(dir.file("a.npy"), a);
  save(dir.file("b.npy"), b);
  const Run c = analyze("compare-rdm " + dir.file("a.npy") + " " + dir.file("b.npy") + " --method kendall-tau-a,pearson", dir);
  REQUIRE(c.status == 0);
  // Pair (0,1) moves from smallest to largest of 6: 5 of 15 pairs flip -> (10 - 5) / 15.
  CHECK(std::fabs(value_of(c.out, {"rdm_kendall_tau_a"}) - 1.0 / 3.0) < 1e-12);
  const Run p = analyze("pca " + dir.file("a.npy") + " --out " + dir.file("pca.csv"), dir);
  REQUIRE(p.status == 0);
  CHECK(slurp(dir.file("pca.csv")).find(",1,explained_variance_ratio,") != std::string::npos);
  CHECK(lines(slurp(dir.file("pca_projections.csv"))) == 5);
  std::ofstream(dir.file("names.txt")) << "w\nx\ny\nz\n";
  const Run m = analyze("mds " + dir.file("a.npy") + " --labels " + dir.file("names.txt") + " --png " + dir.file("mds.png"), dir);
  REQUIRE(m.status == 0);
  CHECK(m.out.find(",3,z,") != std::string::npos);
  CHECK(slurp(dir.file("mds.png")).substr(1, 3) == "PNG");
  Eigen::MatrixXd probs(2, 2), human(3, 2);
  probs << 0.9, 0.1, 0.3, 0.7;
  human << 0.5, 0.5, 1.0, 0.0, 0.0, 1.0;
  save(dir.file("probs.npy"), probs);
  save(dir.file("human.npy"), human);
  save_labels(dir.file("indices.npy"), {1, 2});  // the model saw human rows 1 and 2
  const Run h = analyze("human " + dir.file("probs.npy") + " " + dir.file("human.npy"), dir);
  REQUIRE(h.status == 0);
  CHECK(value_of(h.out, {"human_majority_agreement"}) == 1.0);
  CHECK(std::fabs(value_of(h.out, {",cross_entropy,"}) - (-std::log(0.9f) - std::log(0.7f)) / 2) < 1e-6);
}

TEST_CASE("ml-analyze: bad input is one line and a non-zero exit", "[cli]") {
  TempDir dir("analyze-bad");
  save(dir.file("a.npy"), ml_test::randn(10, 3, 1));
  save(dir.file("b.npy"), ml_test::randn(12, 3, 2));
  Eigen::MatrixXd nan = ml_test::randn(10, 3, 3);
  nan(7, 2) = NAN;
  save(dir.file("nan.npy"), nan);
  struct Case {
    std::string args, says;
  };
  const std::vector<Case> cases = {
      {"cka " + dir.file("a.npy") + " " + dir.file("b.npy"), "has 10 rows but"},
      {"cka " + dir.file("a.npy") + " " + dir.file("nan.npy"), "row 7 column 2 is nan"},
      {"rdm " + dir.file("a.npy") + " --distance manhattan", "--distance 'manhattan'"},
      {"rdm " + dir.file("missing.npy"), "missing.npy"},
      {"compare-rdm " + dir.file("a.npy") + " " + dir.file("a.npy"), "not a square RDM"},
      {"cka " + dir.file("a.npy") + " " + dir.file("a.npy") + " --kernel poly", "poly"},
      {"cka " + dir.file("a.npy") + " " + dir.file("a.npy") + " --precision half", "--precision 'half'"},
      {"rdm " + dir.file("a.npy") + " --precision half", "--precision 'half'"},
      {"cka " + dir.file("a.npy"), "no B.npy"},
      {"rdm " + dir.file("a.npy") + " --by-class", "--labels"},
      {"cka-matrix " + dir.file("a.npy") + " " + dir.path.string(), "not a directory"},
      {"transmogrify", "unknown subcommand"},
  };
  for (const auto& c : cases) {
    INFO("ml-analyze " << c.args);
    const Run r = analyze(c.args, dir);
    CHECK(r.status != 0);
    CHECK_THAT(r.err, Contains(c.says));
    CHECK(lines(r.err) == 1);
  }
  for (const char* sub : {"rdm", "compare-rdm", "pca", "cka", "cka-matrix", "mds", "human"}) {
    const Run h = analyze(std::string(sub) + " --help", dir);
    CHECK(h.status == 0);
    CHECK_THAT(h.out, Contains("--out"));
  }
}

// ---- procrustes, cca, knn (issue 26) ----------------------------------------------

namespace {

// The field of the CSV's first data row under the header's `column`.
std::string measure_field(const std::string& csv, const std::string& column) {
  std::istringstream in(csv);
  std::string header, row;
  std::getline(in, header);
  std::getline(in, row);
  const auto split = [](const std::string& line) {
    std::vector<std::string> fields;
    std::string field;
    bool quoted = false;
    for (char ch : line) {
      if (ch == '"') quoted = !quoted;
      else if (ch == ',' && !quoted) fields.push_back(field), field.clear();
      else field += ch;
    }
    fields.push_back(field);
    return fields;
  };
  const auto names = split(header), values = split(row);
  for (size_t i = 0; i < names.size() && i < values.size(); ++i)
    if (names[i] == column) return values[i];
  FAIL("no column " << column << " in:\n" << csv);
  return "";
}

}  // namespace

TEST_CASE("ml-analyze procrustes, cca, knn: the library's values, names and notes", "[cli]") {
  TempDir dir("analyze-measures");
  fs::create_directories(dir.path / "bp" / "acts");
  fs::create_directories(dir.path / "fa" / "acts");
  const std::string a = (dir.path / "bp" / "acts" / "fc1.npy").string(), b = (dir.path / "fa" / "acts" / "fc1.npy").string();
  const std::string wide = dir.file("wide.npy");
  const Eigen::MatrixXd x = ml_test::randn(30, 6, 1);
  save(a, x);
  save(b, x.leftCols(3) * ml_test::randn(3, 8, 2) + ml_test::randn(30, 8, 3));
  save(wide, ml_test::randn(30, 40, 4));
  // What the files hold (float32), as the library sees it.
  const Eigen::MatrixXd xa = ml::load_matrix_npy(a), xb = ml::load_matrix_npy(b), xw = ml::load_matrix_npy(wide);

  const Run p = analyze("procrustes " + a + " " + b + " --alpha 0.5", dir);
  REQUIRE(p.status == 0);
  CHECK(p.out.rfind("model,layer,model_b,layer_b,metric,value,note\n", 0) == 0);
  CHECK(p.out.find("bp,fc1,fa,fc1,procrustes_alpha_0.5,") != std::string::npos);
  CHECK(std::fabs(std::stod(measure_field(p.out, "value")) - ml::procrustes_distance(xa, xb, 0.5).distance) < 1e-9);
  CHECK(measure_field(p.out, "note").empty());

  for (const char* method : {"svcca", "pwcca", "mean"}) {
    INFO(method);
    const Run c = analyze("cca " + a + " " + b + " --method " + method + " --model mine --layer-b other", dir);
    REQUIRE(c.status == 0);
    CHECK(measure_field(c.out, "model") == "mine");
    CHECK(measure_field(c.out, "layer_b") == "other");
    const ml::CcaResult want = ml::cca_similarity(xa, xb, ml::parse_cca_method(method));
    CHECK(measure_field(c.out, "metric") == ml::cca_metric(ml::parse_cca_method(method)));
    CHECK(std::fabs(std::stod(measure_field(c.out, "value")) - want.value) < 1e-9);
    CHECK(measure_field(c.out, "note") == want.note);
  }
  // 40 features on 30 examples: mean CCA reduces A first, and says so.
  const Run r = analyze("cca " + wide + " " + b + " --method mean --keep 0.9 --out " + dir.file("cca.csv"), dir);
  REQUIRE(r.status == 0);
  const std::string csv = slurp(dir.file("cca.csv"));
  CHECK_THAT(measure_field(csv, "note"), Contains("reduced A: top") && Contains("(90% of the variance)"));
  CHECK(std::fabs(std::stod(measure_field(csv, "value")) -
                  ml::cca_similarity(xw, xb, ml::CcaMethod::mean, 0.9).value) < 1e-9);

  const Run k = analyze("knn " + a + " " + b + " --k 4", dir);
  REQUIRE(k.status == 0);
  CHECK(k.out.rfind("model,layer,model_b,layer_b,metric,value\n", 0) == 0);
  CHECK(measure_field(k.out, "metric") == "mutual_knn_k4");
  CHECK(std::fabs(std::stod(measure_field(k.out, "value")) - ml::mutual_knn(xa, xb, 4)) < 1e-9);
  // --k=V and -k V are the same flag.
  CHECK(analyze("knn " + a + " " + b + " --k=4", dir).out == k.out);
  CHECK(analyze("knn " + a + " " + b + " -k 4", dir).out == k.out);
}

TEST_CASE("ml-analyze procrustes, cca, knn: bad input is one line, exit 1, nothing written", "[cli]") {
  TempDir dir("analyze-measures-bad");
  save(dir.file("a.npy"), ml_test::randn(10, 3, 1));
  save(dir.file("b.npy"), ml_test::randn(12, 3, 2));
  save(dir.file("two.npy"), ml_test::randn(2, 3, 3));
  Eigen::MatrixXd constant = ml_test::randn(10, 3, 4);
  constant.col(2).setConstant(1.5);
  save(dir.file("constant.npy"), constant);
  const std::string a = dir.file("a.npy"), out = dir.file("out.csv");
  struct Case {
    std::string args, says;
  };
  const std::vector<Case> cases = {
      {"procrustes " + a + " " + dir.file("b.npy"), "a.npy has 10 rows but"},
      {"cca " + a + " " + dir.file("b.npy"), "a.npy has 10 rows but"},
      {"knn " + a + " " + dir.file("b.npy"), "a.npy has 10 rows but"},
      {"procrustes " + dir.file("two.npy") + " " + dir.file("two.npy"), "two.npy has 2 rows: procrustes needs at least 3"},
      {"cca " + dir.file("two.npy") + " " + dir.file("two.npy"), "needs at least 3"},
      {"knn " + dir.file("two.npy") + " " + dir.file("two.npy"), "needs at least 3"},
      {"knn " + a + " " + a + " --k 10", "--k 10: must be below N = 10"},
      {"knn " + a + " " + a + " --k 0", "--k 0: must be >= 1"},
      {"procrustes " + a + " " + a + " --alpha 1.5", "--alpha 1.5: must be in [0, 1]"},
      {"procrustes " + a + " " + a + " --alpha -0.5", "--alpha -0.5: must be in [0, 1]"},
      {"cca " + a + " " + dir.file("constant.npy") + " --method mean", "constant.npy column 2 is constant"},
      {"cca " + dir.file("constant.npy") + " " + a + " --method pwcca", "constant.npy column 2 is constant"},
      {"cca " + a + " " + a + " --keep 0", "--keep 0: must be in (0, 1]"},
      {"cca " + a + " " + a + " --method ridge", "--method 'ridge'"},
  };
  for (const auto& c : cases) {
    INFO("ml-analyze " << c.args);
    const Run r = analyze(c.args + " --out " + out, dir);
    CHECK(r.status == 1);
    CHECK_THAT(r.err, Contains(c.says));
    CHECK(lines(r.err) == 1);
    CHECK(!fs::exists(out));
  }
  // What is allowed: a constant column in procrustes, knn and svcca (it centres to zero).
  for (const char* sub : {"procrustes", "knn --k 3", "cca --method svcca"}) {
    INFO(sub);
    CHECK(analyze(std::string(sub) + " " + a + " " + dir.file("constant.npy"), dir).status == 0);
  }
  for (const char* sub : {"procrustes", "cca", "knn"}) {
    const Run h = analyze(std::string(sub) + " --help", dir);
    CHECK(h.status == 0);
    CHECK_THAT(h.out, Contains("--out"));
  }
}

TEST_CASE("ml-analyze human: counts, labels, indices, bootstrap; bad input", "[cli]") {
  TempDir dir("analyze-human");
  // tests/analysis/test_human.cpp's six images: kappa 23/47, its ceiling between people 187/1375.
  Eigen::MatrixXd counts(6, 3), model = Eigen::MatrixXd::Constant(6, 3, 0.1);
  counts << 4, 0, 0, 1, 3, 0, 0, 3, 1, 2, 2, 0, 0, 0, 2, 1, 1, 4;
  const int majority[6] = {0, 1, 1, 0, 2, 2};
  for (int i = 0; i < 6; ++i) model(i, majority[i]) = 0.8;
  const Eigen::MatrixXd human = counts.array().colwise() / counts.rowwise().sum().array();
  const std::string m = dir.file("m.npy"), h = dir.file("h.npy"), c = dir.file("c.npy"), l = dir.file("l.npy");
  save(m, model), save(h, human), save(c, counts);
  save_labels(l, {0, 0, 1, 1, 2, 2});
  const Run r = analyze("human " + m + " " + h + " --counts " + c + " --labels " + l, dir);
  REQUIRE(r.status == 0);
  CHECK(r.out.rfind("model,layer,metric,value\n", 0) == 0);
  CHECK(value_of(r.out, {",images,"}) == 6);
  CHECK(std::fabs(value_of(r.out, {",error_consistency,"}) - 23.0 / 47) < 1e-9);
  CHECK(std::fabs(value_of(r.out, {",error_consistency_ceiling,"}) - 187.0 / 1375) < 1e-9);
  CHECK(value_of(r.out, {",human_majority_agreement,"}) == 1.0);
  CHECK(r.out.find(",human_rdm_ceiling,") != std::string::npos);

  // The same six images at rows 2 7 0 5 1 3 of an 8-row human file, picked by --indices.
  const std::vector<int64_t> at = {2, 7, 0, 5, 1, 3};
  Eigen::MatrixXd counts8 = Eigen::MatrixXd::Constant(8, 3, 1.0), human8 = Eigen::MatrixXd::Constant(8, 3, 1.0 / 3);
  for (size_t i = 0; i < at.size(); ++i) counts8.row(at[i]) = counts.row(i), human8.row(at[i]) = human.row(i);
  save(dir.file("h8.npy"), human8), save(dir.file("c8.npy"), counts8);
  save_labels(dir.file("idx.npy"), at);
  const Run p = analyze("human " + m + " " + dir.file("h8.npy") + " --counts " + dir.file("c8.npy") + " --labels " + l +
                            " --indices " + dir.file("idx.npy") + " --bootstrap 50",
                        dir);
  REQUIRE(p.status == 0);
  CHECK(p.out.rfind("model,layer,metric,value,ci_low,ci_high,n_boot\n", 0) == 0);
  std::istringstream rows(p.out);
  for (std::string line; std::getline(rows, line);) {
    INFO(line);
    CHECK(std::count(line.begin(), line.end(), ',') == 6);
    if (line.find(",error_consistency,") == std::string::npos) continue;
    std::vector<double> v;
    std::istringstream fields(line.substr(line.find(",error_consistency,") + 19));
    for (std::string x; std::getline(fields, x, ',');) v.push_back(std::stod(x));
    REQUIRE(v.size() == 4);
    CHECK(std::fabs(v[0] - 23.0 / 47) < 1e-9);
    CHECK(v[1] <= v[2]);
    CHECK(v[3] == 50);
  }

  Eigen::MatrixXd nan = model;
  nan(2, 1) = NAN;
  save(dir.file("nan.npy"), nan);
  save(dir.file("m4.npy"), Eigen::MatrixXd::Constant(6, 4, 0.25));
  save(dir.file("c5.npy"), counts.topRows(5));
  Eigen::MatrixXd one = counts;
  one(4, 2) = 1;
  save(dir.file("one.npy"), one);
  save_labels(dir.file("l3.npy"), {0, 0, 1, 3, 2, 2});
  save_labels(dir.file("l5.npy"), {0, 0, 1, 1, 2});
  save_labels(dir.file("far.npy"), {2, 7, 0, 9, 1, 3});
  struct Case {
    std::string args, says;
  };
  const std::string base = "human " + m + " " + h;
  const std::vector<Case> cases = {
      {base + " --counts " + dir.file("c5.npy"), "c5.npy is 5 x 3 but " + h + " is 6 x 3"},
      {"human " + dir.file("m4.npy") + " " + h, h + " has 3 classes but " + dir.file("m4.npy") + " has 4"},
      {"human " + m + " " + dir.file("h8.npy"), dir.file("h8.npy") + " has 8 rows but " + m + " has 6"},
      {base + " --counts " + dir.file("one.npy"), "one.npy: row 4 has 1 responses"},
      {base + " --labels " + dir.file("l3.npy"), "l3.npy: row 3 has class 3, outside [0, 3)"},
      {base + " --labels " + dir.file("l5.npy"), "l5.npy has 5 labels but"},
      {"human " + m + " " + dir.file("h8.npy") + " --indices " + dir.file("far.npy"),
       "far.npy: row 3 is index 9, outside " + dir.file("h8.npy") + "'s 8 rows"},
      {"human " + dir.file("nan.npy") + " " + h, "nan.npy: row 2 column 1 is nan"},
      {base + " --bootstrap 0", "--bootstrap must be >= 1"},
  };
  for (const auto& k : cases) {
    INFO("ml-analyze " << k.args);
    const Run b = analyze(k.args + " --out " + dir.file("bad.csv"), dir);
    CHECK(b.status == 1);
    CHECK_THAT(b.err, Contains(k.says));
    CHECK(lines(b.err) == 1);
    CHECK(!fs::exists(dir.file("bad.csv")));
  }
}

namespace {

// Field `name` of the CSV's first data row, found by its header.
std::string boot_field(const std::string& csv, const std::string& name) {
  std::istringstream in(csv);
  std::string header, row;
  std::getline(in, header);
  std::getline(in, row);
  std::istringstream h(header), r(row);
  for (std::string key, value; std::getline(h, key, ',') && std::getline(r, value, ',');)
    if (key == name) return value;
  FAIL("no column " << name << " in:\n" << csv);
  return "";
}

}  // namespace

TEST_CASE("ml-analyze cka and compare-rdm --bootstrap: interval columns, [1, 1] on equal inputs, bad counts",
          "[cli]") {
  TempDir dir("analyze-boot");
  const Eigen::MatrixXd x = ml_test::randn(40, 6, 91);
  save(dir.file("x.npy"), x);
  save(dir.file("x2.npy"), x);
  save(dir.file("y.npy"), x + ml_test::randn(40, 6, 92));
  const std::string cols = "model,layer,model_b,layer_b,metric,value,ci_low,ci_high,n_boot\n";
  for (const char* debiased : {"", " --debiased"}) {
    INFO("cka" << debiased);
    const Run same = analyze("cka " + dir.file("x.npy") + " " + dir.file("x2.npy") + debiased + " --bootstrap 50", dir);
    REQUIRE(same.status == 0);
    CHECK(same.out.rfind(cols, 0) == 0);
    CHECK(std::fabs(std::stod(boot_field(same.out, "ci_low")) - 1) < 1e-9);
    CHECK(std::fabs(std::stod(boot_field(same.out, "ci_high")) - 1) < 1e-9);
    CHECK(boot_field(same.out, "n_boot") == "50");
  }
  const std::string xy = "cka " + dir.file("x.npy") + " " + dir.file("y.npy") + " --debiased --bootstrap 200";
  const Run r1 = analyze(xy, dir), r2 = analyze(xy + " --boot-seed 1", dir), r3 = analyze(xy + " --boot-seed 2", dir);
  REQUIRE(r1.status == 0);
  CHECK(r1.out == r2.out);  // --boot-seed 1 is the default
  CHECK(r1.out != r3.out);
  const double low = std::stod(boot_field(r1.out, "ci_low")), high = std::stod(boot_field(r1.out, "ci_high"));
  CHECK(low < std::stod(boot_field(r1.out, "value")));
  CHECK(high > std::stod(boot_field(r1.out, "value")));
  // Without --bootstrap the columns stay as they were.
  CHECK(analyze("cka " + dir.file("x.npy") + " " + dir.file("y.npy"), dir).out.find("ci_low") == std::string::npos);

  REQUIRE(analyze("rdm " + dir.file("x.npy") + " --npy " + dir.file("rdm.npy"), dir).status == 0);
  const Run rdm = analyze("compare-rdm " + dir.file("rdm.npy") + " " + dir.file("rdm.npy") +
                              " --method spearman,pearson --bootstrap 30 --out " + dir.file("c.csv"),
                          dir);
  REQUIRE(rdm.status == 0);
  const std::string csv = slurp(dir.file("c.csv"));
  CHECK(csv.rfind(cols, 0) == 0);
  CHECK(lines(csv) == 3);
  CHECK(csv.find(",1,1,30\n") != std::string::npos);  // value, ci_low, ci_high all 1 (fmt: 12 digits)

  struct Case {
    std::string args, says;
  };
  const std::string pair = dir.file("x.npy") + " " + dir.file("y.npy");
  const std::string rdms = dir.file("rdm.npy") + " " + dir.file("rdm.npy");
  const std::vector<Case> bad = {
      {"cka " + pair + " --bootstrap 0", "--bootstrap must be >= 1 (resamples), got 0"},
      {"cka " + pair + " --bootstrap=-3", "--bootstrap must be >= 1 (resamples), got -3"},
      {"compare-rdm " + rdms + " --bootstrap 0", "--bootstrap must be >= 1 (resamples), got 0"},
      {"cka " + pair + " --kernel rbf --bootstrap 10", "--bootstrap works with --kernel linear"},
      {"cka " + pair + " --minibatch 10 --bootstrap 10", "--minibatch 10"},
  };
  for (const auto& c : bad) {
    INFO("ml-analyze " << c.args);
    const Run r = analyze(c.args + " --out " + dir.file("bad.csv"), dir);
    CHECK(r.status == 1);
    CHECK_THAT(r.err, Contains(c.says));
    CHECK(lines(r.err) == 1);
    CHECK_FALSE(fs::exists(dir.file("bad.csv")));
  }
}
