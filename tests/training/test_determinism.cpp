// Determinism: the same seed on the same device with the same thread count
// gives the same bytes (weights, metrics.csv's learning columns,
// alignment.csv), for bp and for a feedback rule that draws random numbers
// while training; another seed gives other bytes (so the check can fail).
#include <filesystem>

#include "ml_train_cli.h"
#include "synthetic_idx.h"
#include "test_util.h"

namespace fs = std::filesystem;

TEST_CASE("two runs with the same seed are identical; another seed differs", "[determinism]") {
  ml_test::TempDir dir("determinism");
  const std::string data = ml_test::write_synthetic_idx(dir.file("data"), 600, 100);
  for (const std::string rule : {"--rule bp", "--rule sign-symmetry --feedback-magnitude batchwise"}) {
    const std::string base = "--data mnist --data-dir " + data +
                             " --arch conv8k3-relu-maxpool2-flatten-fc10 --epochs 2 --batch 32 --device cpu"
                             " --no-progress --lr 0.05 --align-every 5 --overwrite " + rule;  // the folders of the rule before
    INFO(base);
    for (const char* name : {"a", "b", "c"}) {
      const std::string seed = std::string(name) == "c" ? " --seed 2" : " --seed 1";
      auto [code, err] = ml_test::run_ml_train(base + seed + " --out " + dir.file(name), dir.file("err"));
      INFO(err);
      REQUIRE(code == 0);
    }
    auto same = [&](const char* x, const char* y) {
      return ml_test::slurp(dir.path / x / "model.safetensors") == ml_test::slurp(dir.path / y / "model.safetensors") &&
             ml_test::learning_columns(dir.path / x / "metrics.csv") ==
                 ml_test::learning_columns(dir.path / y / "metrics.csv") &&
             ml_test::slurp(dir.path / x / "alignment.csv") == ml_test::slurp(dir.path / y / "alignment.csv");
    };
    CHECK(same("a", "b"));
    CHECK_FALSE(same("a", "c"));
    CHECK(fs::file_size(dir.path / "a" / "model.safetensors") > 1000);
  }
}
