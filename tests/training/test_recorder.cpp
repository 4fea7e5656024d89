// The activation recorder: the probe set's balance and determinism, and the
// recorded files against activations recomputed by hand from the raw IDX
// bytes and the checkpoint's weights.
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "datasets/npy.h"
#include "engine/checkpoint.h"
#include "training/recorder.h"
#include "training/trainer.h"
#include "synthetic_idx.h"
#include "test_util.h"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using ml_test::TempDir;

namespace {

std::vector<uint8_t> idx_payload(const std::string& path, size_t header) {
  std::ifstream f(path, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), {});
  REQUIRE(bytes.size() > header);
  return {bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end()};
}

std::pair<int, std::string> run_record(const std::string& args, const fs::path& dir) {
  const fs::path err = dir / "stderr.txt";
  const char* bin = std::getenv("ML_BINARY_DIR");
  const std::string cmd = std::string(bin ? bin : "..") + "/ml-record " + args + " 2> " + err.string() + " > /dev/null";
  const int status = std::system(cmd.c_str());
  std::ifstream f(err);
  return {WEXITSTATUS(status), std::string((std::istreambuf_iterator<char>(f)), {})};
}

}  // namespace

TEST_CASE("probe: class-balanced, deterministic, seed-dependent", "[record]") {
  std::vector<int32_t> labels;
  for (int i = 0; i < 300; ++i) labels.push_back((i * 7) % 3);  // 100 per class, interleaved
  const auto a = ml::choose_probe(labels, 3, 31, 1);
  REQUIRE(a.size() == 31);
  std::map<int, int> per_class;
  for (int32_t i : a) per_class[labels[i]]++;
  CHECK(per_class[0] == 11);
  CHECK(per_class[1] == 10);
  CHECK(per_class[2] == 10);
  CHECK(std::set<int32_t>(a.begin(), a.end()).size() == a.size());  // no repeats
  for (size_t k = 1; k < a.size(); ++k) {  // grouped by class, ascending within a class
    CHECK(labels[a[k - 1]] <= labels[a[k]]);
    if (labels[a[k - 1]] == labels[a[k]]) CHECK(a[k - 1] < a[k]);
  }
  CHECK(ml::choose_probe(labels, 3, 31, 1) == a);
  CHECK(ml::choose_probe(labels, 3, 31, 2) != a);
  CHECK_THROWS_WITH(ml::choose_probe(labels, 3, 400, 1), Contains("--probe 400") && Contains("only 100"));
  CHECK_THROWS_WITH(ml::choose_probe(labels, 3, 0, 1), Contains("--probe 0"));
}

TEST_CASE("recorder: files load with the stated shapes and hold the network's activations", "[record]") {
  TempDir dir("record");
  ml::TrainConfig t;
  t.data = "mnist";
  t.data_dir = ml_test::write_synthetic_idx((dir.path / "data").string(), 200, 100, 8);
  t.arch = "flatten-fc10";
  t.epochs = 1;
  t.batch = 20;
  t.device = "cpu";
  t.progress = false;
  t.out = (dir.path / "run").string();
  ml::train(t);

  ml::RecordConfig c;
  c.checkpoint = t.out + "/model.safetensors";
  c.data_dir = t.data_dir;
  c.probe = 30;
  c.probs = true;
  c.batch = 7;  // batches that do not divide the probe
  c.device = "cpu";
  c.out = (dir.path / "acts").string();
  ml::record(c);

  const ml::NpyArray input = ml::read_npy(c.out + "/input.npy");
  const ml::NpyArray fc1 = ml::read_npy(c.out + "/fc1.npy");
  const ml::NpyArray probs = ml::read_npy(c.out + "/probs.npy");
  const ml::NpyArray labels = ml::read_npy(c.out + "/labels.npy");
  const ml::NpyArray indices = ml::read_npy(c.out + "/indices.npy");
  CHECK(input.dtype == "<f4");
  CHECK(labels.dtype == "<i8");
  REQUIRE(input.shape == std::vector<int64_t>{30, 64});
  REQUIRE(fc1.shape == std::vector<int64_t>{30, 10});
  REQUIRE(probs.shape == std::vector<int64_t>{30, 10});
  REQUIRE(labels.shape == std::vector<int64_t>{30});
  REQUIRE(indices.shape == std::vector<int64_t>{30});
  CHECK_FALSE(fs::exists(c.out + "/flatten1.npy"));
  std::ifstream layers_txt(c.out + "/layers.txt");
  std::string l1, l2, l3;
  layers_txt >> l1 >> l2;
  CHECK(l1 == "input");
  CHECK(l2 == "fc1");
  CHECK_FALSE(layers_txt >> l3);

  // The oracle: normalisation from the raw training bytes, the test image
  // bytes, and the checkpoint's weights, all in double.
  const auto train_px = idx_payload(t.data_dir + "/train-images-idx3-ubyte", 16);
  const auto test_px = idx_payload(t.data_dir + "/t10k-images-idx3-ubyte", 16);
  const auto test_labels = idx_payload(t.data_dir + "/t10k-labels-idx1-ubyte", 8);
  double mean = 0, sq = 0;
  for (uint8_t p : train_px) mean += p / 255.0;
  mean /= train_px.size();
  for (uint8_t p : train_px) sq += (p / 255.0 - mean) * (p / 255.0 - mean);
  const double sd = std::sqrt(sq / train_px.size());
  const ml::Checkpoint ck = ml::load_safetensors(c.checkpoint);
  const auto w = ck.find("fc1.weight")->to_vector();
  const auto b = ck.find("fc1.bias")->to_vector();

  std::map<int64_t, int> per_class;
  for (int n = 0; n < 30; ++n) {
    const auto img = static_cast<size_t>(indices.data[n]);
    CHECK(labels.data[n] == test_labels[img]);
    per_class[static_cast<int64_t>(labels.data[n])]++;
    std::vector<double> x(64);
    for (int p = 0; p < 64; ++p) {
      x[p] = (test_px[img * 64 + p] / 255.0 - mean) / sd;
      CHECK(std::fabs(input.data[n * 64 + p] - x[p]) < 1e-4);
    }
    double zmax = -1e300, zsum = 0;
    std::vector<double> z(10);
    for (int o = 0; o < 10; ++o) {
      z[o] = b[o];
      for (int p = 0; p < 64; ++p) z[o] += w[o * 64 + p] * x[p];
      CHECK(std::fabs(fc1.data[n * 10 + o] - z[o]) < 1e-3 * (1 + std::fabs(z[o])));
      zmax = std::max(zmax, z[o]);
    }
    for (int o = 0; o < 10; ++o) zsum += std::exp(z[o] - zmax);
    for (int o = 0; o < 10; ++o) CHECK(std::fabs(probs.data[n * 10 + o] - std::exp(z[o] - zmax) / zsum) < 1e-5);
  }
  CHECK(per_class.size() == 10);
  for (auto [k, v] : per_class) CHECK(v == 3);

  if (std::system("/usr/bin/python3 -c 'import numpy' > /dev/null 2>&1") == 0) {
    const std::string py = "import numpy as np; d='" + c.out + "'; a = np.load(d + '/fc1.npy'); "
                           "assert a.shape == (30, 10) and a.dtype == np.float32; "
                           "assert np.load(d + '/labels.npy').shape == (30,); "
                           "assert abs(np.load(d + '/probs.npy').sum(1) - 1).max() < 1e-5";
    CHECK(std::system(("/usr/bin/python3 -c \"" + py + "\"").c_str()) == 0);
  }

  SECTION("the same probe for another model and a chosen layer list") {
    ml::TrainConfig t2 = t;
    t2.seed = 7;
    t2.out = (dir.path / "run2").string();
    ml::train(t2);
    ml::RecordConfig c2 = c;
    c2.checkpoint = t2.out + "/model.safetensors";
    c2.layers = "fc1";
    c2.probs = false;
    c2.out = (dir.path / "acts2").string();
    ml::record(c2);
    CHECK(ml::read_npy(c2.out + "/indices.npy").data == indices.data);
    CHECK(fs::exists(c2.out + "/fc1.npy"));
    CHECK_FALSE(fs::exists(c2.out + "/input.npy"));
    CHECK_FALSE(fs::exists(c2.out + "/probs.npy"));
    CHECK(ml::read_npy(c2.out + "/fc1.npy").data != fc1.data);
  }

  SECTION("'stages' records what each weight layer receives, and the logits") {
    ml::TrainConfig t3 = t;
    t3.arch = "conv4k3-relu-maxpool2-flatten-fc6-relu-fc10";
    t3.out = (dir.path / "run3").string();
    ml::train(t3);
    ml::RecordConfig c3 = c;
    c3.checkpoint = t3.out + "/model.safetensors";
    c3.layers = "stages";
    c3.out = (dir.path / "acts3").string();
    ml::record(c3);
    std::ifstream f(c3.out + "/layers.txt");
    std::vector<std::string> names;
    for (std::string s; f >> s;) names.push_back(s);
    CHECK(names == std::vector<std::string>{"input", "pool1", "relu2", "fc2"});
    CHECK(ml::read_npy(c3.out + "/pool1.npy").shape == std::vector<int64_t>{30, 4 * 3 * 3});
  }

  SECTION("ml-record: bad input gives one line, exit code 1, no files") {
    const std::string base = c.checkpoint + " --data-dir " + t.data_dir + " --device cpu --out " +
                             (dir.path / "bad").string();
    struct Case { std::string args, expect; };
    const std::vector<Case> cases = {
        {base + " --layers fc1,conv9", "no layer 'conv9'"},
        {base + " --probe 1000", "--probe 1000"},
        {base + " --split validation", "--split 'validation'"},
        {(dir.path / "none.safetensors").string() + " --out " + (dir.path / "bad").string(), "none.safetensors"},
        {"--probe 10", "no CHECKPOINT"},
    };
    for (const auto& k : cases) {
      auto [code, err] = run_record(k.args, dir.path);
      INFO("ml-record " << k.args << "\nstderr: " << err);
      CHECK(code == 1);
      CHECK_THAT(err, Contains(k.expect));
      CHECK(std::count(err.begin(), err.end(), '\n') == 1);
    }
    CHECK_FALSE(fs::exists(dir.path / "bad" / "fc1.npy"));
    CHECK(run_record("--help", dir.path).first == 0);
  }
}
