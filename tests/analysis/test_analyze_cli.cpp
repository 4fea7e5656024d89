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

#include "analysis/matrix_io.h"
#include "analysis_test_util.h"
#include "datasets/npy.h"
#include "test_util.h"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using ml_test::TempDir;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

struct Run {
  int status = -1;
  std::string out, err;
};

Run analyze(const std::string& args, const TempDir& dir) {
  const char* bin = std::getenv("ML_BINARY_DIR");
  const std::string exe = std::string(bin ? bin : "..") + "/ml-analyze";
  REQUIRE(fs::exists(exe));
  const std::string out = dir.file("stdout.txt"), err = dir.file("stderr.txt");
  const int status = std::system((exe + " " + args + " > " + out + " 2> " + err).c_str());
  return {WEXITSTATUS(status), slurp(out), slurp(err)};
}

void save(const std::string& path, const Eigen::MatrixXd& m) {
  std::vector<float> v;
  for (Eigen::Index i = 0; i < m.rows(); ++i)
    for (Eigen::Index j = 0; j < m.cols(); ++j) v.push_back(static_cast<float>(m(i, j)));
  ml::write_npy(path, v.data(), {m.rows(), m.cols()});
}

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
  CHECK(std::fabs(value_of(h.out, {"human_cross_entropy"}) - (-std::log(0.9f) - std::log(0.7f)) / 2) < 1e-6);
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
