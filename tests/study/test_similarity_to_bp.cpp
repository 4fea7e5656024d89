// The noise ceiling and similarity to bp (study/similarity_to_bp.h) on
// recordings written here: bp seeds share a structure (the same class means,
// their own rotation and noise), a "shuffled" variant's features ignore the
// classes. The bp-vs-bp ceiling must be higher than bp-vs-shuffled, the
// shuffled variant must be called different, and a variant built like bp must not.
#include <filesystem>

#include "analysis/bootstrap.h"
#include "datasets/npy.h"
#include "study/similarity_to_bp.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace {

// N x D features: class means (shared by every "bp-like" run) plus noise of its own, mixed by a random
// orthogonal-ish map of its own (CKA does not see rotations).
void write_run(const fs::path& dir, const std::vector<int64_t>& labels, bool class_structure, uint32_t seed) {
  const int64_t n = static_cast<int64_t>(labels.size());
  const int d = 20;
  fs::create_directories(dir / "acts");
  std::vector<float> means = ml_test::random_vector(10 * d, 99);  // the same for every run
  std::vector<float> noise = ml_test::random_vector(n * d, seed);
  std::vector<float> x(n * d);
  for (int64_t i = 0; i < n; ++i)
    for (int j = 0; j < d; ++j)
      x[i * d + j] = (class_structure ? 2.0f * means[labels[i] * d + j] : 0.0f) + 0.5f * noise[i * d + j];
  // Rotate: x <- x Q with Q from a Householder reflection of the run's own vector (orthogonal).
  std::vector<float> v = ml_test::random_vector(d, seed + 1000);
  double vv = 0;
  for (float e : v) vv += e * e;
  for (int64_t i = 0; i < n; ++i) {
    double dot = 0;
    for (int j = 0; j < d; ++j) dot += x[i * d + j] * v[j];
    for (int j = 0; j < d; ++j) x[i * d + j] -= static_cast<float>(2 * dot / vv * v[j]);
  }
  ml::write_npy((dir / "acts" / "h.npy").string(), x.data(), {n, d});
  ml::write_npy((dir / "acts" / "labels.npy").string(), labels.data(), {n});
}

ml::RunData run(const fs::path& root, const std::string& name, const std::string& rule, uint64_t seed) {
  ml::RunData r;
  r.name = name, r.rule = rule, r.seed = seed;
  r.dir = (root / name).string();
  r.layers = {"h"};
  return r;
}

}  // namespace

TEST_CASE("noise ceiling: bp seeds alike, a label-blind variant below the ceiling, a bp-like one not", "[study][ceiling]") {
  ml_test::TempDir dir("ceiling");
  std::vector<int64_t> labels(200);
  for (int i = 0; i < 200; ++i) labels[i] = i % 10;
  std::vector<ml::RunData> runs;
  for (uint64_t s = 1; s <= 3; ++s) {
    runs.push_back(run(dir.path, s == 1 ? "bp" : "bp-s" + std::to_string(s), "bp", s));
    write_run(runs.back().dir, labels, true, static_cast<uint32_t>(s));
  }
  runs.push_back(run(dir.path, "shuffled", "shuffled", 1));
  write_run(runs.back().dir, labels, false, 11);
  runs.push_back(run(dir.path, "twin", "twin", 1));
  write_run(runs.back().dir, labels, true, 12);
  fs::create_directories(dir.path / "analysis");

  const ml::SimilarityToBp s = ml::similarity_to_bp(runs, {"h"}, dir.path.string(), 300, 1);
  REQUIRE(s.bp_seeds == 3);
  REQUIRE(s.measures.size() == 8);
  for (const std::string& m : s.measures) {
    INFO(m);
    const ml::SimilarityRow* ceiling = s.ceiling("h", m);
    const ml::SimilarityRow* shuffled = s.find_to_bp("h", m, "shuffled");
    const ml::SimilarityRow* twin = s.find_to_bp("h", m, "twin");
    REQUIRE(ceiling);
    REQUIRE(shuffled);
    REQUIRE(twin);
    CHECK(ceiling->n_pairs == 3);
    CHECK(shuffled->n_pairs == 2);  // bp seeds 2 and 3: seed 1 shares its initial weights in a real study
    const bool bootstrap = m == "debiased_cka" || m == "linear_cka" || m == "rdm_spearman";
    CHECK(shuffled->interval == (bootstrap ? "bootstrap95" : "pair_range"));
    if (m == "procrustes") CHECK(shuffled->value > ceiling->value);  // a distance
    else if (bootstrap) CHECK(ceiling->value > shuffled->value + 0.3);
    else CHECK(ceiling->value > shuffled->value);
    CHECK(s.differs(*shuffled));
    CHECK(!s.differs(*twin));
    CHECK(ceiling->ci_low <= ceiling->value);
    CHECK(ceiling->value <= ceiling->ci_high);
  }
  CHECK(ml::measure_disagreements(s).empty());  // every measure: shuffled differs, twin does not
  const auto sentences = ml::similarity_sentences(s, "debiased_cka");
  REQUIRE(sentences.size() == 2);
  CHECK_THAT(sentences[0], Catch::Contains("shuffled, h: debiased CKA to bp"));
  CHECK_THAT(sentences[0], Catch::EndsWith("differs."));
  CHECK_THAT(sentences[1], Catch::EndsWith("not shown to differ."));
  CHECK(fs::exists(dir.path / "analysis" / "noise_ceiling.csv"));
}

TEST_CASE("similarity to bp needs two bp seeds", "[study][ceiling]") {
  ml_test::TempDir dir("ceiling-one");
  std::vector<int64_t> labels(50);
  for (int i = 0; i < 50; ++i) labels[i] = i % 10;
  std::vector<ml::RunData> runs{run(dir.path, "bp", "bp", 1), run(dir.path, "fa", "fa", 1)};
  for (auto& r : runs) write_run(r.dir, labels, true, 3);
  const ml::SimilarityToBp s = ml::similarity_to_bp(runs, {"h"}, dir.path.string(), 10, 1);
  CHECK(s.layers.empty());
  CHECK(s.to_bp.empty());
  CHECK(!fs::exists(dir.path / "analysis" / "noise_ceiling.csv"));
}
