// NPY reader/writer: round trips, the byte layout numpy expects, numpy itself
// reading our files (when Debian's python3-numpy is installed), and one clear
// line for each way a file can be wrong.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "datasets/npy.h"
#include "test_util.h"

using Catch::Matchers::Contains;
using ml_test::TempDir;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void spit(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary);
  f << bytes;
}

bool have_numpy() { return std::system("/usr/bin/python3 -c 'import numpy' > /dev/null 2>&1") == 0; }

}  // namespace

TEST_CASE("npy: float32 round trip keeps shape and values", "[npy]") {
  TempDir dir("npy-f32");
  const std::string path = (dir.path / "a.npy").string();
  std::vector<float> v = {1.5f, -2.0f, 3.25f, 0.0f, 1e-30f, 7.0f};
  ml::write_npy(path, v.data(), {2, 3});
  ml::NpyArray a = ml::read_npy(path);
  CHECK(a.dtype == "<f4");
  REQUIRE(a.shape == std::vector<int64_t>{2, 3});
  CHECK(a.rows() == 2);
  CHECK(a.cols() == 3);
  for (size_t i = 0; i < v.size(); ++i) CHECK(a.data[i] == static_cast<double>(v[i]));
}

TEST_CASE("npy: header follows the format spec (magic, version 1.0, 64-byte aligned data)", "[npy]") {
  TempDir dir("npy-layout");
  const std::string path = (dir.path / "a.npy").string();
  std::vector<int64_t> v = {4, 5, 6};
  ml::write_npy(path, v.data(), {3});
  const std::string bytes = slurp(path);
  REQUIRE(bytes.size() >= 64 + 3 * 8);
  CHECK(bytes.substr(0, 6) == "\x93NUMPY");
  CHECK(bytes[6] == 1);
  CHECK(bytes[7] == 0);
  const size_t header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
  CHECK((10 + header_len) % 64 == 0);
  CHECK(bytes.size() == 10 + header_len + 3 * 8);
  const std::string header = bytes.substr(10, header_len);
  CHECK_THAT(header, Contains("'descr': '<i8'"));
  CHECK_THAT(header, Contains("'shape': (3,)"));
  CHECK(header.back() == '\n');
  ml::NpyArray a = ml::read_npy(path);
  CHECK(a.data == std::vector<double>{4, 5, 6});
}

TEST_CASE("npy: numpy loads what we write and we load what numpy writes", "[npy]") {
  if (!have_numpy()) {
    SUCCEED("python3-numpy not installed; the layout test above checks the header bytes");
    return;
  }
  TempDir dir("npy-numpy");
  const std::string ours = (dir.path / "ours.npy").string();
  const std::string theirs = (dir.path / "theirs.npy").string();
  std::vector<float> v = {0.5f, 1.0f, 2.0f, 4.0f, 8.0f, 16.0f};
  ml::write_npy(ours, v.data(), {1, 2, 3});
  const std::string script = "import numpy as np; a = np.load('" + ours +
                             "'); assert a.dtype == np.float32 and a.shape == (1, 2, 3), (a.dtype, a.shape); "
                             "assert a.ravel().tolist() == [0.5, 1, 2, 4, 8, 16]; "
                             "np.save('" + theirs + "', np.arange(12, dtype=np.float64).reshape(3, 4) / 4)";
  REQUIRE(std::system(("/usr/bin/python3 -c \"" + script + "\"").c_str()) == 0);
  ml::NpyArray a = ml::read_npy(theirs);
  CHECK(a.dtype == "<f8");
  REQUIRE(a.shape == std::vector<int64_t>{3, 4});
  for (int i = 0; i < 12; ++i) CHECK(a.data[i] == i / 4.0);
}

TEST_CASE("npy: bad files are rejected with one line naming the file", "[npy]") {
  TempDir dir("npy-bad");
  const std::string path = (dir.path / "bad.npy").string();
  std::vector<float> v = {1, 2, 3, 4};
  ml::write_npy(path, v.data(), {2, 2});
  const std::string good = slurp(path);

  CHECK_THROWS_WITH(ml::read_npy((dir.path / "missing.npy").string()), Contains("missing.npy") && Contains("cannot open"));
  spit(path, "\x93NUM");
  CHECK_THROWS_WITH(ml::read_npy(path), Contains("bad.npy") && Contains("too short"));
  spit(path, "PK\x03\x04 not numpy at all");
  CHECK_THROWS_WITH(ml::read_npy(path), Contains("bad magic"));
  spit(path, good.substr(0, good.size() - 4));
  CHECK_THROWS_WITH(ml::read_npy(path), Contains("truncated"));
  spit(path, good + "xx");
  CHECK_THROWS_WITH(ml::read_npy(path), Contains("trailing"));
  std::string fortran = good;
  fortran.replace(fortran.find("False"), 5, "True ");
  spit(path, fortran);
  CHECK_THROWS_WITH(ml::read_npy(path), Contains("Fortran"));
  std::string complex = good;
  complex.replace(complex.find("<f4"), 3, "<c8");
  spit(path, complex);
  CHECK_THROWS_WITH(ml::read_npy(path), Contains("unsupported npy dtype '<c8'"));
}

TEST_CASE("npy: a stream writer appears only when complete", "[npy]") {
  TempDir dir("npy-stream");
  const std::string path = (dir.path / "s.npy").string();
  std::vector<float> v = {1, 2, 3, 4, 5, 6};
  {
    ml::NpyStreamWriter w(path, {3, 2});
    w.append(v.data(), 4);
    CHECK_FALSE(std::filesystem::exists(path));
    w.append(v.data() + 4, 2);
    w.commit();
  }
  ml::NpyArray a = ml::read_npy(path);
  REQUIRE(a.shape == std::vector<int64_t>{3, 2});
  CHECK(a.data == std::vector<double>{1, 2, 3, 4, 5, 6});

  const std::string other = (dir.path / "short.npy").string();
  {
    ml::NpyStreamWriter w(other, {3, 2});
    w.append(v.data(), 4);
    CHECK_THROWS_WITH(w.commit(), Contains("short.npy") && Contains("4 of 6"));
    CHECK_THROWS_WITH(w.append(v.data(), 6), Contains("more values"));
  }
  CHECK_FALSE(std::filesystem::exists(other));
  CHECK_FALSE(std::filesystem::exists(other + ".partial"));
}

TEST_CASE("npy: oversized headers and shapes fail before allocating, in one line naming the file", "[npy][errors]") {
  TempDir dir("npy-huge");
  const std::string path = (dir.path / "huge.npy").string();
  std::vector<float> v = {1, 2, 3, 4};
  ml::write_npy(path, v.data(), {2, 2});
  const std::string good = slurp(path);
  // good with `from` replaced by `to` in the header, its padding shortened to
  // keep the header length (57 spaces of padding to take from)
  auto edit = [&](const std::string& from, const std::string& to) {
    std::string b = good;
    b.replace(b.find(from), from.size(), to);
    if (to.size() > from.size()) b.erase(b.find(" \n") - (to.size() - from.size()) + 1, to.size() - from.size());
    return b;
  };
  auto error = [&](const std::string& bytes) {
    spit(path, bytes);
    const std::string msg = ml_test::error_of<std::runtime_error>([&] { ml::read_npy(path); });
    CHECK_THAT(msg, Catch::StartsWith(path + ": "));
    return msg;
  };

  std::string long_header = good;
  long_header[8] = '\xff';  // header length 65535 + ..., in a 96-byte file
  long_header[9] = '\xff';
  CHECK_THAT(error(long_header), Contains("truncated npy header: it claims 65535 bytes"));

  // (2^30, 2^30) floats: 4 EiB promised by 16 bytes of data
  CHECK_THAT(error(edit("(2, 2)", "(1073741824, 1073741824)")),
             Contains("npy data is truncated: expected 1152921504606846976 values of 4 bytes, found 16"));
  CHECK_THAT(error(edit("(2, 2)", "(4294967296, 4294967296, 4294967296)")), Contains("npy shape is too large"));
  CHECK_THAT(error(edit("(2, 2)", "(99999999999999999999,)")), Contains("bad shape"));
  CHECK_THAT(error(edit("(2, 2)", "4     ")), Contains("shape that is not a tuple: 4"));
  // a newline in the dtype is quoted back escaped: the message stays one line
  CHECK_THAT(error(edit("<f4", "<\n4")), Contains("unsupported npy dtype '<\\n4'"));
}
