// The validation split (ml-train --val) and the snapshots (--snapshots): the
// held-out images are class-balanced, disjoint from the training images and
// the same for every rule and seed; model_best is the val-selected epoch's
// model; snapshots change nothing in training; bad values are refused before
// anything is written.
#include <filesystem>
#include <map>
#include <set>

#include "datasets/npy.h"
#include "datasets/validation_split.h"
#include "engine/checkpoint.h"
#include "ml_train_cli.h"
#include "synthetic_idx.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace {

// A data set whose image i holds the value i in every pixel, with uneven classes.
ml::Dataset numbered(int n, int classes) {
  ml::Dataset d;
  d.name = "numbered";
  d.C = 1, d.H = 2, d.W = 2;
  d.num_classes = classes;
  for (int i = 0; i < n; ++i) {
    d.labels.push_back(i < n * 7 / 10 ? i % classes : i % 3);  // classes 0-2 larger than the others
    for (int p = 0; p < 4; ++p) d.images.push_back(static_cast<float>(i));
  }
  return d;
}

std::vector<int64_t> read_indices(const fs::path& p) {
  const ml::NpyArray a = ml::read_npy(p.string());
  REQUIRE(a.dtype == "<i8");
  return std::vector<int64_t>(a.data.begin(), a.data.end());
}

// The tensors of a safetensors file, without its metadata (which names the epoch).
std::map<std::string, std::vector<float>> weights_of(const fs::path& p) {
  std::map<std::string, std::vector<float>> out;
  for (auto& t : ml::load_safetensors(p.string()).tensors) out[t.name] = t.tensor.to_vector();
  return out;
}

std::vector<std::vector<std::string>> csv_rows(const fs::path& p) {
  std::istringstream in(ml_test::slurp(p));
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> row;
    std::istringstream fields(line);
    for (std::string f; std::getline(fields, f, ',');) row.push_back(f);
    rows.push_back(row);
  }
  return rows;
}

}  // namespace

TEST_CASE("validation_indices: class-balanced, sorted, distinct, seeded", "[val]") {
  const ml::Dataset d = numbered(1000, 7);
  const auto held = ml::validation_indices(d, 100, 11);
  REQUIRE(held.size() == 100);
  std::map<int, int> per_class;
  for (size_t i = 0; i < held.size(); ++i) {
    REQUIRE(held[i] >= 0);
    REQUIRE(held[i] < 1000);
    if (i > 0) CHECK(held[i] > held[i - 1]);
    ++per_class[d.labels[held[i]]];
  }
  for (int k = 0; k < 7; ++k) CHECK(per_class[k] == (k < 100 % 7 ? 100 / 7 + 1 : 100 / 7));
  CHECK(ml::validation_indices(d, 100, 11) == held);
  CHECK(ml::validation_indices(d, 100, 12) != held);
  CHECK_THAT(ml_test::error_of<std::invalid_argument>([&] { ml::validation_indices(d, 1000, 1); }),
             Catch::Contains("--val 1000"));
  CHECK_THAT(ml_test::error_of<std::invalid_argument>([&] { ml::validation_indices(d, -1, 1); }),
             Catch::Contains("--val -1"));
  // 800 / 7 = 114 of each class; classes 3-6 have 100.
  CHECK_THAT(ml_test::error_of<std::invalid_argument>([&] { ml::validation_indices(d, 800, 1); }),
             Catch::Contains("class 3"));
}

TEST_CASE("split_off moves exactly the held-out images and keeps the rest in order", "[val]") {
  ml::Dataset d = numbered(50, 2);
  const std::vector<int64_t> held{3, 4, 17, 49};
  const ml::Dataset val = ml::split_off(d, held);
  REQUIRE(val.size() == 4);
  REQUIRE(d.size() == 46);
  for (int i = 0; i < 4; ++i) {
    CHECK(val.images[i * 4] == static_cast<float>(held[i]));
    CHECK(val.labels[i] == (held[i] < 35 ? held[i] % 2 : held[i] % 3));
  }
  std::vector<float> rest;
  for (int i = 0; i < 50; ++i)
    if (i != 3 && i != 4 && i != 17 && i != 49) rest.push_back(static_cast<float>(i));
  for (int i = 0; i < d.size(); ++i) CHECK(d.images[i * 4 + 3] == rest[i]);
}

TEST_CASE("ml-train --val: the same images for every rule and seed, model_best at the val-selected epoch",
          "[val][train]") {
  ml_test::TempDir dir("val");
  const std::string data = ml_test::write_synthetic_idx(dir.file("data"), 1000, 200);
  const std::string base = "--data mnist --data-dir " + data +
                           " --arch conv8k3-relu-maxpool2-flatten-fc32-relu-fc10 --batch 32 --device cpu --no-progress"
                           " --val 200";
  auto [code_a, err_a] = ml_test::run_ml_train(base + " --epochs 3 --lr 0.05 --seed 1 --snapshots 1,2,3 --out " +
                                                   dir.file("bp"), dir.file("bp.err"));
  INFO(err_a);
  REQUIRE(code_a == 0);
  auto [code_b, err_b] =
      ml_test::run_ml_train(base + " --epochs 1 --rule fa --seed 2 --limit 500 --out " + dir.file("fa"), dir.file("fa.err"));
  INFO(err_b);
  REQUIRE(code_b == 0);

  const auto held = read_indices(dir.path / "bp" / "val_indices.npy");
  CHECK(held.size() == 200);
  CHECK(read_indices(dir.path / "fa" / "val_indices.npy") == held);
  std::map<int, int> per_class;
  for (int64_t i : held) ++per_class[static_cast<int>(i % 10)];  // the synthetic set's label of image i is i % 10
  for (int k = 0; k < 10; ++k) CHECK(per_class[k] == 20);
  const auto bp_config = nlohmann::json::parse(ml_test::slurp(dir.path / "bp" / "config.json"));
  CHECK(bp_config["train_samples"] == 800);
  CHECK(nlohmann::json::parse(ml_test::slurp(dir.path / "fa" / "config.json"))["train_samples"] == 500);

  // metrics.csv: val columns filled; the first epoch of the best val_acc is the one model_best holds.
  const auto rows = csv_rows(dir.path / "bp" / "metrics.csv");
  REQUIRE(rows.size() == 4);
  REQUIRE(rows[0].back() == "val_acc");
  int best_epoch = 0;
  double best = -1;
  for (size_t r = 1; r < rows.size(); ++r) {
    const double v = std::stod(rows[r].back());
    if (v > best) best = v, best_epoch = r;
  }
  CHECK(weights_of(dir.path / "bp" / "model_best.safetensors") ==
        weights_of(dir.path / "bp" / ("snapshots/epoch-" + std::to_string(best_epoch) + ".safetensors")));
  CHECK(weights_of(dir.path / "bp" / "snapshots/epoch-3.safetensors") == weights_of(dir.path / "bp" / "model.safetensors"));
  CHECK_THAT(err_a, Catch::Contains("val-selected epoch " + std::to_string(best_epoch)));
  const auto snaps = csv_rows(dir.path / "bp" / "snapshots.csv");
  REQUIRE(snaps.size() == 4);
  for (int e = 1; e <= 3; ++e) CHECK(snaps[e].back() == rows[e].back());  // the same val_acc as the epoch's row
}

TEST_CASE("snapshots within epochs change nothing in training", "[val][train]") {
  ml_test::TempDir dir("snap");
  const std::string data = ml_test::write_synthetic_idx(dir.file("data"), 1000, 200);
  const std::string base = "--data mnist --data-dir " + data +
                           " --arch conv8k3-relu-maxpool2-flatten-fc32-relu-fc10 --batch 32 --device cpu --no-progress"
                           " --val 100 --epochs 2 --rule sign-symmetry --feedback-magnitude batchwise --lr 0.05";
  REQUIRE(ml_test::run_ml_train(base + " --out " + dir.file("plain"), dir.file("plain.err")).first == 0);
  auto [code, err] = ml_test::run_ml_train(base + " --snapshots 0.25,0.5,1.3 --out " + dir.file("snap"), dir.file("snap.err"));
  INFO(err);
  REQUIRE(code == 0);
  CHECK(ml_test::learning_columns(dir.path / "plain" / "metrics.csv") ==
        ml_test::learning_columns(dir.path / "snap" / "metrics.csv"));
  CHECK(ml_test::slurp(dir.path / "plain" / "model.safetensors") == ml_test::slurp(dir.path / "snap" / "model.safetensors"));
  for (const char* e : {"0.25", "0.5", "1.3"}) CHECK(fs::exists(dir.path / "snap" / "snapshots" / ("epoch-" + std::string(e) + ".safetensors")));
  const auto snaps = csv_rows(dir.path / "snap" / "snapshots.csv");
  REQUIRE(snaps.size() == 4);
  CHECK(snaps[1][0] == "0.25");
  CHECK(snaps[1][1] == "1");
  CHECK(snaps[1][2] == "7");  // 900 images / 32 = 29 batches; 0.25 x 29 = 7.25 -> batch 7
  CHECK(snaps[3][1] == "2");
  CHECK(snaps[3][2] == "9");  // 0.3 x 29 = 8.7 -> 9
}

TEST_CASE("ml-train: bad --val and --snapshots give one line, exit 1, nothing written", "[val][errors]") {
  ml_test::TempDir dir("val-bad");
  const std::string data = ml_test::write_synthetic_idx(dir.file("data"), 100, 20);
  const std::string base = "--data mnist --data-dir " + data + " --epochs 2 --device cpu --no-progress --out " +
                           dir.file("o");
  struct Case { std::string args, expect; };
  const std::vector<Case> cases = {
      {" --val 100", "--val 100"},
      {" --val 5000", "--val 5000"},
      {" --val -3", "--val -3"},
      {" --snapshots 1,0.5", "ascending"},
      {" --snapshots -1", "--snapshots -1"},
      {" --snapshots 0", "--snapshots 0"},
      {" --snapshots 3", "beyond"},
      {" --snapshots 1,x", "--snapshots 'x'"},
  };
  for (const auto& k : cases) {
    auto [code, err] = ml_test::run_ml_train(base + k.args, dir.file("err"));
    INFO("ml-train " << base << k.args << "\nstderr: " << err);
    CHECK(code == 1);
    CHECK_THAT(err, Catch::Contains(k.expect));
    CHECK(std::count(err.begin(), err.end(), '\n') == 1);
    CHECK(!fs::exists(dir.path / "o"));
  }
}
