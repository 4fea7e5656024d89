// ml-record and ml-filters on a checkpoint whose weights hold a NaN or an Inf
// (a diverged run's file, or a damaged one): one line naming the file and the
// tensor, exit 1, and nothing written, instead of NaN activations or filters.
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include "engine/checkpoint.h"
#include "training/trainer.h"
#include "synthetic_idx.h"
#include "test_util.h"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using ml_test::TempDir;

namespace {

struct Run {
  int status = -1;
  std::string err;
};

Run run_app(const std::string& app, const std::string& args, const fs::path& dir) {
  const fs::path err = dir / "stderr.txt";
  const char* bin = std::getenv("ML_BINARY_DIR");
  const std::string exe = std::string(bin ? bin : "..") + "/" + app;
  REQUIRE(fs::exists(exe));
  const int status = std::system((exe + " " + args + " 2> " + err.string() + " > /dev/null").c_str());
  std::ifstream f(err);
  return {WEXITSTATUS(status), std::string((std::istreambuf_iterator<char>(f)), {})};
}

size_t lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

// A copy of the checkpoint at `from` with element `at` of tensor `name` set to v.
void write_damaged(const std::string& from, const std::string& to, const std::string& name, size_t at, float v) {
  ml::Checkpoint ck = ml::load_safetensors(from);
  bool found = false;
  for (auto& t : ck.tensors) {
    if (t.name != name) continue;
    std::vector<float> values = t.tensor.to_vector();
    REQUIRE(at < values.size());
    values[at] = v;
    t.tensor = ml::Tensor::from_vector(t.tensor.shape(), values);
    found = true;
  }
  REQUIRE(found);
  ml::save_safetensors(to, ck.tensors, ck.metadata);
}

}  // namespace

TEST_CASE("ml-record and ml-filters refuse a checkpoint with non-finite weights", "[record]") {
  TempDir dir("nonfinite-checkpoint");
  ml::TrainConfig t;
  t.data = "mnist";
  t.data_dir = ml_test::write_synthetic_idx((dir.path / "data").string(), 60, 30, 8);
  t.arch = "conv4k3-relu-flatten-fc10";
  t.epochs = 1;
  t.batch = 20;
  t.device = "cpu";
  t.progress = false;
  t.out = (dir.path / "run").string();
  ml::train(t);
  const std::string good = t.out + "/model.safetensors";
  const std::string record_args = " --data-dir " + t.data_dir + " --probe 10 --device cpu --out ";

  // The undamaged checkpoint works with both programs.
  const std::string acts_ok = (dir.path / "acts-ok").string(), png_ok = (dir.path / "ok.png").string();
  REQUIRE(run_app("ml-record", good + record_args + acts_ok, dir.path).status == 0);
  REQUIRE(fs::exists(acts_ok + "/conv1.npy"));
  REQUIRE(run_app("ml-filters", good + " --layer conv1 --out " + png_ok, dir.path).status == 0);
  REQUIRE(fs::exists(png_ok));

  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  struct Damage {
    std::string tensor;
    size_t at;
    float value;
    std::string shown;
  };
  for (const Damage& d : {Damage{"conv1.weight", 7, nan, "nan"}, Damage{"fc1.weight", 3, -inf, "-inf"},
                          Damage{"fc1.bias", 0, inf, "inf"}}) {
    INFO(d.tensor << " element " << d.at << " = " << d.shown);
    const std::string bad = (dir.path / "bad.safetensors").string();
    write_damaged(good, bad, d.tensor, d.at, d.value);
    const std::string acts = (dir.path / "acts-bad").string(), png = (dir.path / "bad.png").string();

    const Run r = run_app("ml-record", bad + record_args + acts, dir.path);
    INFO("ml-record: " << r.err);
    CHECK(r.status == 1);
    CHECK(lines(r.err) == 1);
    CHECK_THAT(r.err, Contains("ml-record: error") && Contains(bad) && Contains("'" + d.tensor + "'") &&
                          Contains(d.shown));
    CHECK_FALSE(fs::exists(acts));

    // ml-filters refuses even when the damaged tensor is not the one it draws:
    // the file as a whole holds no trained weights.
    const Run f = run_app("ml-filters", bad + " --layer conv1 --out " + png, dir.path);
    INFO("ml-filters: " << f.err);
    CHECK(f.status == 1);
    CHECK(lines(f.err) == 1);
    CHECK_THAT(f.err, Contains("ml-filters: error") && Contains(bad) && Contains("'" + d.tensor + "'") &&
                          Contains(d.shown));
    CHECK_FALSE(fs::exists(png));
  }
}
