// Replays every committed fuzz input through its reader in the ordinary build:
// the seed corpus (fuzz/corpus/<target>/) and every input a fuzzer once broke
// a reader with (fuzz/regressions/<target>/). Each must be read or rejected
// with one line naming the input (fuzz/harness.h); under the sanitizer build
// (ML_SANITIZE=ON) they also run under ASan + UBSan.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <new>
#include <stdexcept>
#include <string>

#include "fuzz/harness.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace {

fs::path fuzz_dir() {
  const char* s = std::getenv("ML_SOURCE_DIR");
  REQUIRE(s != nullptr);
  return fs::path(s) / "fuzz";
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// Runs the target's check over every file in dir; returns how many there were.
int replay(const std::string& target, const fs::path& dir) {
  if (!fs::is_directory(dir)) return 0;
  const auto& check = ml_fuzz::checks().at(target);
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (!e.is_regular_file() || e.path().filename().string().starts_with('.')) continue;
    INFO(e.path().string());
    CHECK(check(slurp(e.path())) == "");
    ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("every target has a seed corpus, and its inputs are read or rejected in one line", "[fuzz]") {
  for (const auto& [target, check] : ml_fuzz::checks()) {
    INFO(target);
    CHECK(replay(target, fuzz_dir() / "corpus" / target) >= 3);
  }
}

TEST_CASE("inputs that once broke a reader stay fixed", "[fuzz]") {
  for (const auto& [target, check] : ml_fuzz::checks()) replay(target, fuzz_dir() / "regressions" / target);
  // a folder under regressions/ or corpus/ must name a target, or its inputs would never run
  for (const char* kind : {"corpus", "regressions"})
    for (const auto& e : fs::directory_iterator(fuzz_dir() / kind))
      if (e.is_directory()) CHECK(ml_fuzz::checks().count(e.path().filename().string()) == 1);
}

TEST_CASE("the harness flags a message that does not name the input or spans lines", "[fuzz]") {
  CHECK(ml_fuzz::clean("input", [] { throw std::runtime_error("input: fine"); }) == "");
  CHECK(ml_fuzz::clean("input", [] {}) == "");
  CHECK(ml_fuzz::clean("input", [] { throw std::bad_alloc(); }) != "");
  CHECK(ml_fuzz::clean("input", [] { throw std::runtime_error("input: two\nlines"); }) != "");
}

TEST_CASE("regression: JPEGs that broke stb_image are refused by libjpeg, naming the file", "[fuzz][image]") {
  // stb_image 2.27 wrote past its table arrays on a Huffman table of more than 256 codes, and shifted a
  // 32-bit word by 32 or more once its bit count went below zero (UBSan under fuzz_image): JPEG is now
  // decoded by libjpeg-turbo, which refuses all three. The second file has fill bytes 0xFF before its
  // start-of-image marker: stb_image skipped them, libjpeg does not, so it is not a JPEG to us.
  auto refusal = [](const char* file) {
    const std::string bytes = slurp(fuzz_dir() / "regressions/fuzz_image" / file);
    REQUIRE(bytes.size() > 100);
    return ml_test::error_of<std::runtime_error>([&] { ml::decode_image(bytes, "x.jpg", 3); });
  };
  CHECK(refusal("jpeg-huffman-257-codes") == "x.jpg: cannot read the JPEG (libjpeg: Bogus Huffman table definition)");
  CHECK_THAT(refusal("jpeg-fill-bytes-before-soi"), Catch::StartsWith("x.jpg: cannot read the image (stb_image: "));
  CHECK_THAT(refusal("jpeg-bit-count-below-zero"),
             Catch::StartsWith("x.jpg: cannot read the JPEG (libjpeg: Corrupt JPEG data: "));
}

TEST_CASE("regression: a PNG chunk longer than the file is refused before stb_image allocates it", "[fuzz][image]") {
  // 128 bytes whose second IDAT claims ~2.4 GB: stb_image 2.27 grew its buffer to that before reading
  // (libFuzzer: out of memory, malloc(2147483648)).
  const std::string bytes = slurp(fuzz_dir() / "regressions/fuzz_image/png-chunk-longer-than-file.png");
  REQUIRE(bytes.size() == 128);
  const std::string msg = ml_test::error_of<std::runtime_error>([&] { ml::decode_image(bytes, "x.png", 1); });
  CHECK_THAT(msg, Catch::StartsWith("x.png: corrupt PNG: a ") && Catch::Contains(" left in the file"));
  // cut after its header chunk (signature + IHDR, no image data): still an error, not a crash
  const std::string header_only = bytes.substr(0, 8 + 25);
  CHECK_THROWS_AS(ml::decode_image(header_only, "y.png", 1), std::runtime_error);
}
