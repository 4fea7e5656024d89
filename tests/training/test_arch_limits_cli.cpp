// ml-train --arch with a field out of range or a layer too big to allocate:
// exit 1, one line "ml-train: error: --arch '...': '<token>': ..." stating the
// limit, and no output directory. Nothing big is ever allocated: the sizes are
// refused before the layer is built.
#include <filesystem>
#include <string>
#include <vector>

#include "ml_train_cli.h"
#include "synthetic_idx.h"
#include "test_util.h"

namespace fs = std::filesystem;

TEST_CASE("ml-train refuses an --arch field or layer size past its limit in one line", "[cli][errors][limits]") {
  ml_test::TempDir dir("arch-limits");
  const std::string data = ml_test::write_synthetic_idx(dir.file("data"), 100, 20);
  struct Case {
    std::string arch, token, limit;
  };
  const std::vector<Case> cases = {
      {"flatten-fc99999999999999999999-relu-fc10", "fc99999999999999999999", "at most 65536"},
      {"conv100000k3-relu-flatten-fc10", "conv100000k3", "at most 65536"},
      {"conv8k3p99999999999999999999-relu-flatten-fc10", "conv8k3p99999999999999999999", "at most 1024"},
      {"conv8k0-relu-flatten-fc10", "conv8k0", "at least 1"},
      {"conv8k3-maxpool2s0-flatten-fc10", "maxpool2s0", "at least 1"},
      {"pcn8c99999999999-gap-fc10", "pcn8c99999999999", "at most 1000"},
      // 65536 x 65536 x 3 x 3 weights + 65536 biases; the first conv65536 on 12 x 12 is small enough
      {"conv65536k3p1-conv65536k3p1-flatten-fc10", "conv65536k3p1", "38654771200 parameters, more than 268435456"},
      // 64 x 2012 x 2012 values per image
      {"conv64k1p1000-relu-flatten-fc10", "conv64k1p1000", "259081216 values per image, more than 16777216"},
  };
  for (const Case& k : cases) {
    const fs::path out = dir.path / "out";
    const std::string args =
        "--data mnist --data-dir " + data + " --epochs 1 --device cpu --arch " + k.arch + " --out " + out.string();
    auto [code, err] = ml_test::run_ml_train(args, dir.file("stderr"));
    INFO("ml-train " << args << "\nstderr: " << err);
    CHECK(code == 1);
    CHECK_THAT(err, Catch::StartsWith("ml-train: error: --arch '" + k.arch + "': "));
    CHECK_THAT(err, Catch::Contains("'" + k.token + "'"));
    CHECK_THAT(err, Catch::Contains(k.limit));
    CHECK(std::count(err.begin(), err.end(), '\n') == 1);
    CHECK_FALSE(fs::exists(out));
    fs::remove_all(out);
  }
}
