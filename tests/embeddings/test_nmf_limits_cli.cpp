// ml-nmf sizes what it will allocate and write before doing either: a --rank
// above 1024 or above the number of samples, a sample matrix above 2^28
// values, or a basis.png above 16384 pixels a side is one line
// "ml-nmf: error: --flag N: ..." stating the limit, exit 1, and no --out at all.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "study/png_image.h"
#include "synthetic_idx.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace {

std::pair<int, std::string> run_nmf(const std::string& args, const std::string& err_file) {
  const char* bin = std::getenv("ML_BINARY_DIR");
  const std::string cmd = std::string(bin ? bin : "..") + "/ml-nmf " + args + " 2> " + err_file + " > /dev/null";
  const int status = std::system(cmd.c_str());
  std::ifstream f(err_file);
  std::stringstream ss;
  ss << f.rdbuf();
  return {WEXITSTATUS(status), ss.str()};
}

}  // namespace

TEST_CASE("basis.png's size is known before drawing", "[nmf][limits]") {
  CHECK(ml::kMaxPngSide == 16384);
  // 9 tiles of 4 x 4 at scale 1: 8 per row, 2 rows, each tile plus a gap of 2, and the outer gap
  CHECK(ml::filter_grid_pixels(9, 4, 1) == std::pair<int64_t, int64_t>{8 * 6 + 2, 2 * 6 + 2});
  // one tile of 4 x 4 at scale 4095: 2 + 16380 + 2 = 16384 a side, the largest allowed
  CHECK(ml::filter_grid_pixels(1, 4, 4095) == std::pair<int64_t, int64_t>{16384, 16384});
  // past int: 8 tiles a row of 28 x 2^30 pixels each
  CHECK(ml::filter_grid_pixels(8, 28, 1 << 30).first == 8 * (28 * (int64_t{1} << 30) + 2) + 2);
}

TEST_CASE("ml-nmf refuses sizes past its limits before writing anything", "[nmf][limits][cli]") {
  ml_test::TempDir dir("nmf-limits");
  const std::string data = ml_test::write_synthetic_idx(dir.file("data"), 200, 20);
  const fs::path out = dir.path / "out";
  const std::string base = "--data mnist --data-dir " + data + " --iterations 1 --out " + out.string();
  struct Case {
    std::string args, flag, limit;
  };
  const std::vector<Case> cases = {
      {base + " --rank 100000 --patch 4 --samples 300", "--rank 100000: ", "at most 1024"},
      {base + " --rank 21 --patch 4 --samples 20", "--rank 21: ", "20 samples"},
      // --patch full --samples 0: all 200 training images
      {base + " --rank 201 --patch full --samples 0", "--rank 201: ", "200 samples"},
      // 2 tiles of 4 x 4 at 100000 pixels per weight: 2 x (400000 + 2) + 2 wide, 400000 + 4 high
      {base + " --rank 2 --patch 4 --samples 20 --png-scale 100000", "--png-scale 100000: ",
       "800006 x 400004 pixels, more than 16384 a side"},
      // 100000000 patches of 8 x 8 = 6400000000 values
      {base + " --rank 2 --patch 8 --samples 100000000", "--samples 100000000: ",
       "6400000000 values, more than 268435456"},
  };
  for (const Case& k : cases) {
    auto [code, err] = run_nmf(k.args, dir.file("stderr"));
    INFO("ml-nmf " << k.args << "\nstderr: " << err);
    CHECK(code == 1);
    CHECK_THAT(err, Catch::StartsWith("ml-nmf: error: " + k.flag));
    CHECK_THAT(err, Catch::Contains(k.limit));
    CHECK(std::count(err.begin(), err.end(), '\n') == 1);
    CHECK_FALSE(fs::exists(out));
    fs::remove_all(out);
  }
  // as many parts as samples is still a factorisation
  auto [code, err] = run_nmf(base + " --rank 20 --patch 4 --samples 20", dir.file("stderr"));
  INFO(err);
  CHECK(code == 0);
  CHECK(fs::exists(out / "basis.png"));
}
