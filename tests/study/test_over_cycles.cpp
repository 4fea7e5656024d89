// The report's similarity over recurrent time (study/over_cycles.h) on
// recordings written here: a "pc" run whose value node h moves, step by step,
// from noise to bp's class structure, and a "pcn" run whose block output has no
// bp namesake. Each value must be the mean over bp's other seeds of the
// debiased CKA computed directly (analysis/cka.h) on the files, pc's compared
// with bp's h only, the PCN's with every bp layer; a malformed list is named.
#include <filesystem>
#include <fstream>

#include "analysis/cka.h"
#include "analysis/matrix_io.h"
#include "datasets/npy.h"
#include "study/over_cycles.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace {

constexpr int64_t kN = 120;
constexpr int kD = 12;

// Class means shared by every "bp-like" matrix, plus noise of its own; weight 0: noise alone.
std::vector<float> features(const std::vector<int64_t>& labels, double weight, uint32_t seed) {
  const std::vector<float> means = ml_test::random_vector(10 * kD, 99);
  const std::vector<float> noise = ml_test::random_vector(kN * kD, seed);
  std::vector<float> x(kN * kD);
  for (int64_t i = 0; i < kN; ++i)
    for (int j = 0; j < kD; ++j)
      x[i * kD + j] = static_cast<float>(weight * 2.0 * means[labels[i] * kD + j] + 0.5 * noise[i * kD + j]);
  return x;
}

void write(const fs::path& file, const std::vector<float>& x) { ml::write_npy(file.string(), x.data(), {kN, kD}); }

ml::RunData run(const fs::path& root, const std::string& name, const std::string& rule, uint64_t seed,
                const std::vector<int64_t>& labels) {
  ml::RunData r;
  r.name = name, r.rule = rule, r.seed = seed, r.dir = (root / name).string();
  r.layers = {"g", "h"};
  fs::create_directories(root / name / "acts");
  ml::write_npy((root / name / "acts" / "labels.npy").string(), labels.data(), {kN});
  return r;
}

double direct_cka(const fs::path& a, const fs::path& b) {
  return ml::linear_cka(ml::load_matrix_npy(a.string()), ml::load_matrix_npy(b.string()), true);
}

}  // namespace

TEST_CASE("over recurrent time: per step, the mean debiased CKA to bp's other seeds", "[study][cycles]") {
  ml_test::TempDir dir("over-cycles");
  std::vector<int64_t> labels(kN);
  for (int64_t i = 0; i < kN; ++i) labels[i] = i % 10;
  std::vector<ml::RunData> runs;
  for (uint64_t s = 1; s <= 3; ++s) {
    runs.push_back(run(dir.path, s == 1 ? "bp" : "bp-s" + std::to_string(s), "bp", s, labels));
    write(fs::path(runs.back().dir) / "acts" / "g.npy", features(labels, 0.5, 40 + s));
    write(fs::path(runs.back().dir) / "acts" / "h.npy", features(labels, 1.0, 50 + s));
  }
  runs.push_back(run(dir.path, "pc", "pc", 1, labels));
  const fs::path pc = fs::path(runs.back().dir) / "acts";
  std::ofstream(pc / "cycle_files.csv") << "layer,cycle,file\nh,0,h.step0.npy\nh,1,h.step1.npy\nh,2,h.step2.npy\n";
  for (int t = 0; t <= 2; ++t) write(pc / ("h.step" + std::to_string(t) + ".npy"), features(labels, t / 2.0, 7));
  runs.push_back(run(dir.path, "pcn", "bptt", 2, labels));
  const fs::path pcn = fs::path(runs.back().dir) / "acts";
  std::ofstream(pcn / "cycle_files.csv") << "layer,cycle,file\npcn1,0,pcn1.cycle0.npy\npcn1,1,pcn1.cycle1.npy\n";
  for (int t = 0; t <= 1; ++t) write(pcn / ("pcn1.cycle" + std::to_string(t) + ".npy"), features(labels, 0.3 * t, 8));
  fs::create_directories(dir.path / "analysis");

  const ml::OverCycles o = ml::similarity_over_cycles(runs, {"g", "h"}, dir.path.string(), 50, 1);
  REQUIRE(o.rows.size() == 3 + 2 * 2);  // pc: 3 steps x h; pcn: 2 cycles x (g, h)
  const fs::path bp2 = dir.path / "bp-s2" / "acts", bp3 = dir.path / "bp-s3" / "acts", bp1 = dir.path / "bp" / "acts";
  for (const auto& r : o.rows) {
    INFO(r.run << " " << r.layer << " -> " << r.bp_layer << " at " << r.cycle);
    const fs::path own = r.run == "pc" ? pc / ("h.step" + std::to_string(r.cycle) + ".npy")
                                       : pcn / ("pcn1.cycle" + std::to_string(r.cycle) + ".npy");
    // pc's seed 1 leaves bp's seed 1 out; the PCN's seed 2 leaves bp-s2 out.
    const double expected = r.run == "pc" ? (direct_cka(own, bp2 / "h.npy") + direct_cka(own, bp3 / "h.npy")) / 2
                                          : (direct_cka(own, bp1 / (r.bp_layer + ".npy")) +
                                             direct_cka(own, bp3 / (r.bp_layer + ".npy"))) / 2;
    CHECK(r.n_pairs == 2);
    CHECK(r.value == Approx(expected).epsilon(1e-9));
    CHECK(r.ci_low <= r.value + 1e-12);
    CHECK(r.value <= r.ci_high + 1e-12);
    if (r.run == "pc") CHECK(r.bp_layer == "h");
  }
  CHECK(o.rows[0].value < o.rows[1].value);  // pc's steps move toward bp's structure
  CHECK(o.rows[1].value < o.rows[2].value);
  CHECK(fs::exists(dir.path / "analysis" / "over_cycles.csv"));

  std::ofstream(pc / "cycle_files.csv") << "layer,cycle,file\nh,0,h.step9.npy\n";
  CHECK_THROWS_WITH(ml::similarity_over_cycles(runs, {"g", "h"}, dir.path.string(), 10, 1),
                    Catch::Contains("cycle_files.csv: row 2: no file 'h.step9.npy'"));
  std::ofstream(pc / "cycle_files.csv") << "layer,cycle,file\nh,x,h.step0.npy\n";
  CHECK_THROWS_WITH(ml::similarity_over_cycles(runs, {"g", "h"}, dir.path.string(), 10, 1),
                    Catch::Contains("cycle 'x' is not a step number"));
}
