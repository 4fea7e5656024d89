// IDX reader: plain and gzipped round trips, and one clear line for each way
// a file can be wrong.
#include <zlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "datasets/idx.h"
#include "test_util.h"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

using ml_test::TempDir;

std::vector<uint8_t> idx_bytes(const std::vector<int>& dims, const std::vector<uint8_t>& data, uint8_t type = 0x08) {
  std::vector<uint8_t> b = {0, 0, type, static_cast<uint8_t>(dims.size())};
  for (int d : dims) {
    const auto u = static_cast<uint32_t>(d);
    for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<uint8_t>(u >> shift));
  }
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

void write_plain(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(f.good());
}

void write_gzip(const std::string& path, const std::vector<uint8_t>& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())) == static_cast<int>(bytes.size()));
  REQUIRE(gzclose(f) == Z_OK);
}

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// Bytes that do not compress, so a cut in the gzip stream lands inside the data.
std::vector<uint8_t> noise(size_t n, uint32_t seed) {
  std::vector<uint8_t> v(n);
  uint32_t x = seed;
  for (auto& b : v) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<uint8_t>(x >> 24);
  }
  return v;
}

// The message of the runtime_error that read_idx(path) throws; checks it is one line.
std::string idx_error(const std::string& path) {
  try {
    ml::read_idx(path);
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK(msg.find('\n') == std::string::npos);
    CHECK(msg.rfind(path + ": ", 0) == 0);  // starts with the file name
    return msg;
  }
  FAIL("read_idx('" << path << "') did not throw");
  return "";
}

}  // namespace

TEST_CASE("read_idx reads plain files of 1 to 4 dimensions", "[idx]") {
  TempDir dir("plain");
  const std::vector<std::vector<int>> shapes = {{7}, {3, 5}, {4, 3, 2}, {2, 3, 1, 2}};
  for (const auto& dims : shapes) {
    size_t n = 1;
    for (int d : dims) n *= static_cast<size_t>(d);
    const std::vector<uint8_t> data = noise(n, static_cast<uint32_t>(dims.size()));
    const std::string path = dir.file("a" + std::to_string(dims.size()));
    write_plain(path, idx_bytes(dims, data));
    const ml::IdxArray a = ml::read_idx(path);
    CHECK(a.dims == dims);
    CHECK(a.data == data);
  }
}

TEST_CASE("read_idx decompresses gzip by its magic, whatever the file name", "[idx]") {
  TempDir dir("gzip");
  const std::vector<int> dims = {30, 28, 28};
  const std::vector<uint8_t> data = noise(30 * 28 * 28, 3);
  for (const std::string name : {"x-idx3-ubyte.gz", "x-idx3-ubyte"}) {
    write_gzip(dir.file(name), idx_bytes(dims, data));
    const ml::IdxArray a = ml::read_idx(dir.file(name));
    CHECK(a.dims == dims);
    CHECK(a.data == data);
  }
  // and a plain file with a .gz name is read as plain
  write_plain(dir.file("plain.gz"), idx_bytes(dims, data));
  CHECK(ml::read_idx(dir.file("plain.gz")).data == data);
}

TEST_CASE("read_idx reads an empty dimension as no data", "[idx]") {
  TempDir dir("zero");
  write_plain(dir.file("z"), idx_bytes({0, 28, 28}, {}));
  const ml::IdxArray a = ml::read_idx(dir.file("z"));
  CHECK(a.dims == std::vector<int>{0, 28, 28});
  CHECK(a.data.empty());
}

TEST_CASE("read_idx: a missing file or a directory", "[idx][errors]") {
  TempDir dir("missing");
  const std::string missing = dir.file("no-such-file");
  CHECK_THAT(idx_error(missing), Contains("cannot open (No such file or directory)"));
  CHECK_THAT(idx_error(dir.path.string()), Contains("cannot open"));
}

TEST_CASE("read_idx: wrong magic", "[idx][errors]") {
  TempDir dir("magic");
  // IDX of floats (type 0x0D): a real IDX file, but not ours
  write_plain(dir.file("floats"), idx_bytes({2}, {0, 0, 0, 0, 0, 0, 0, 0}, 0x0D));
  CHECK_THAT(idx_error(dir.file("floats")), Contains("not an IDX file of unsigned bytes (magic 0x00000d01)"));
  // a text file
  write_plain(dir.file("text"), {'h', 'e', 'l', 'l', 'o', '\n'});
  CHECK_THAT(idx_error(dir.file("text")), Contains("not an IDX file of unsigned bytes (magic 0x68656c6c)"));
  // right type, but 0 or 5 dimensions
  write_plain(dir.file("dim0"), {0, 0, 8, 0});
  CHECK_THAT(idx_error(dir.file("dim0")), Contains("0 dimensions"));
  write_plain(dir.file("dim5"), idx_bytes({1, 1, 1, 1, 1}, {7}));
  CHECK_THAT(idx_error(dir.file("dim5")), Contains("5 dimensions"));
}

TEST_CASE("read_idx: truncated plain files", "[idx][errors]") {
  TempDir dir("trunc");
  std::vector<uint8_t> bytes = idx_bytes({4, 3, 2}, noise(24, 1));
  bytes.resize(bytes.size() - 4);
  write_plain(dir.file("short-data"), bytes);
  CHECK_THAT(idx_error(dir.file("short-data")), Contains("truncated: expected 24 bytes of data, got 20"));

  bytes.resize(4 + 6);  // magic and half of the dimensions
  write_plain(dir.file("short-header"), bytes);
  CHECK_THAT(idx_error(dir.file("short-header")), Contains("truncated: expected 12 bytes of dimensions, got 6"));

  write_plain(dir.file("empty"), {});
  CHECK_THAT(idx_error(dir.file("empty")), Contains("truncated: expected 4 bytes of IDX magic number, got 0"));
}

TEST_CASE("read_idx: bytes after the data", "[idx][errors]") {
  TempDir dir("extra");
  std::vector<uint8_t> bytes = idx_bytes({5}, {1, 2, 3, 4, 5});
  bytes.push_back(6);
  write_plain(dir.file("long"), bytes);
  CHECK_THAT(idx_error(dir.file("long")), Contains("more bytes than the dimensions 5 promise"));
}

TEST_CASE("read_idx: truncated and corrupt gzip streams", "[idx][errors]") {
  TempDir dir("gzbad");
  const size_t n = 20000;
  write_gzip(dir.file("good.gz"), idx_bytes({static_cast<int>(n)}, noise(n, 9)));
  const std::vector<uint8_t> gz = read_bytes(dir.file("good.gz"));
  REQUIRE(gz.size() > 1000);

  SECTION("cut in the middle of the data") {
    write_plain(dir.file("half.gz"), std::vector<uint8_t>(gz.begin(), gz.begin() + gz.size() / 2));
    const std::string msg = idx_error(dir.file("half.gz"));
    CHECK_THAT(msg, Contains("truncated: expected 20000 bytes of data, got "));
    CHECK_THAT(msg, Contains("(gzip stream cut short: unexpected end of file)"));
  }
  SECTION("only the 8-byte trailer (CRC and length) missing") {
    write_plain(dir.file("notrailer.gz"), std::vector<uint8_t>(gz.begin(), gz.end() - 8));
    CHECK_THAT(idx_error(dir.file("notrailer.gz")), Contains("all 20000 bytes of data read, then: gzip stream cut short"));
  }
  SECTION("a flipped byte in the CRC") {
    std::vector<uint8_t> bad = gz;
    bad[bad.size() - 6] ^= 0xFF;
    write_plain(dir.file("crc.gz"), bad);
    CHECK_THAT(idx_error(dir.file("crc.gz")), Contains("corrupt gzip stream: incorrect data check"));
  }
  SECTION("garbage in the middle of the deflate stream") {
    std::vector<uint8_t> bad = gz;
    for (size_t i = gz.size() / 3; i < gz.size() / 3 + 64; ++i) bad[i] = 0xFF;
    write_plain(dir.file("garbage.gz"), bad);
    // zlib decodes ahead into its own buffer, so the error can surface while
    // reading the header already: then the message says how far it got.
    const std::string msg = idx_error(dir.file("garbage.gz"));
    CHECK_THAT(msg, Contains("truncated: expected "));
    CHECK_THAT(msg, Contains("(corrupt gzip stream: "));
  }
}

TEST_CASE("read_idx: a header promising more than the file holds fails before allocating it", "[idx][errors]") {
  // 2^31 - 1 images of 28 x 2 bytes: 120 GB promised by a 36-byte file. Under
  // the sanitizer build an allocation of that size would abort the test.
  TempDir dir("huge");
  const std::vector<uint8_t> bytes = idx_bytes({0x7fffffff, 28, 2}, noise(20, 4));
  write_plain(dir.file("huge"), bytes);
  const std::string msg = idx_error(dir.file("huge"));
  CHECK_THAT(msg, Contains("truncated: expected 120259084232 bytes of data, got 20"));
  CHECK_THAT(msg, Contains("the header promises more than the file holds"));

  write_gzip(dir.file("huge.gz"), bytes);
  CHECK_THAT(idx_error(dir.file("huge.gz")), Contains("truncated: expected 120259084232 bytes of data, got 20"));

  // past 1 TiB the dimensions alone are refused
  write_plain(dir.file("tib"), idx_bytes({0x7fffffff, 0x7fffffff, 2}, {}));
  CHECK_THAT(idx_error(dir.file("tib")), Contains("promise more than 1 TiB"));
}
