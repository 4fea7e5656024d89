// safetensors checkpoints: bit-exact round trip; the byte layout checked by
// hand against the format's spec (and by numpy when python3 has it); a file
// written by hand by another writer; one-line errors for every kind of bad
// file; load_into's shape check; save's argument checks.
#include <unistd.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "engine/checkpoint.h"
#include "engine/device.h"
#include "test_util.h"

namespace fs = std::filesystem;
using ml::NamedTensor;
using ml::Tensor;

namespace {

fs::path temp_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("ml_test_checkpoint_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string read_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream f(p, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string le64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

std::string float_bytes(const std::vector<float>& v) {
  std::string s(v.size() * 4, '\0');
  if (!v.empty()) std::memcpy(s.data(), v.data(), s.size());
  return s;
}

// A safetensors file assembled by hand: the header padded with spaces to a
// multiple of 8, its size (or a lie about it), then the data.
std::string raw_file(const std::string& header, const std::string& data, std::optional<uint64_t> size_field = {}) {
  std::string h = header;
  h.append((8 - h.size() % 8) % 8, ' ');
  return le64(size_field.value_or(h.size())) + h + data;
}

// Bit patterns, so that -0.0, NaN payloads and infinities compare exactly.
std::vector<uint32_t> bits(const std::vector<float>& v) {
  std::vector<uint32_t> out(v.size());
  if (!v.empty()) std::memcpy(out.data(), v.data(), v.size() * 4);
  return out;
}

float from_bits(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

std::vector<NamedTensor> sample_tensors() {
  // Values a text format or a careless copy would change.
  const float tiny = std::numeric_limits<float>::denorm_min();
  const float nan_payload = from_bits(0x7fc01234u);
  const std::vector<float> special = {0.0f, -0.0f, INFINITY, -INFINITY, tiny, FLT_MAX, 1.0f / 3.0f, nan_payload};
  return {
      {"conv1.weight", Tensor::from_vector({8, 1, 3, 3}, ml_test::random_vector(72, 1))},
      {"conv1.bias", Tensor::from_vector({8}, special)},
      {"fc1.weight", Tensor::from_vector({10, 72}, ml_test::random_vector(720, 2, -100.0f, 100.0f))},
      {"fc1.feedback", Tensor::from_vector({10, 72}, ml_test::random_vector(720, 3))},
      {"step", Tensor::from_vector({}, {7.5f})},  // a scalar: shape [], one value
      {"empty", Tensor({0, 5})},                  // no data: data_offsets [x, x]
  };
}

const std::map<std::string, std::string> kSampleMetadata = {
    {"format", "microlearning"},
    {"spec", "conv8k3-relu-maxpool2-flatten-fc10"},
    {"epoch", "3"},
    {"awkward", "a \"quoted\" \\ value\nover two lines, \xce\xbb and \xe2\x80\x93"},  // escapes and UTF-8
};

void check_same_tensors(const std::vector<NamedTensor>& got, const std::vector<NamedTensor>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("tensor " << i << " '" << want[i].name << "'");
    CHECK(got[i].name == want[i].name);
    CHECK(got[i].tensor.shape() == want[i].tensor.shape());
    CHECK(bits(got[i].tensor.to_vector()) == bits(want[i].tensor.to_vector()));
  }
}

// The message of the std::runtime_error that load_safetensors throws.
std::string load_error(const std::string& path) {
  try {
    ml::load_safetensors(path);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  FAIL("load_safetensors('" << path << "') did not throw std::runtime_error");
  return "";
}

// The first python3 that can import numpy: the one on PATH, else the system's.
std::string python_with_numpy() {
  for (const std::string py : {"python3", "/usr/bin/python3"}) {
    if (std::system((py + " -c \"import numpy\" >/dev/null 2>&1").c_str()) == 0) return py;
  }
  return "";
}

}  // namespace

TEST_CASE("save then load is bit-exact, names in order, metadata kept", "[checkpoint]") {
  const fs::path dir = temp_dir("round_trip");
  const std::string path = (dir / "model.safetensors").string();
  const auto tensors = sample_tensors();
  ml::save_safetensors(path, tensors, kSampleMetadata);

  const ml::Checkpoint ckpt = ml::load_safetensors(path);
  check_same_tensors(ckpt.tensors, tensors);
  for (const auto& t : ckpt.tensors) CHECK(t.tensor.device() == ml::Device::CPU);
  CHECK(ckpt.metadata == kSampleMetadata);
  CHECK(ckpt.path == path);

  REQUIRE(ckpt.find("fc1.weight") != nullptr);
  CHECK(ckpt.find("fc1.weight")->shape() == ml::Shape{10, 72});
  CHECK(ckpt.find("fc2.weight") == nullptr);

  // Saving again over the file replaces it: nothing but the file remains.
  ml::save_safetensors(path, {tensors[0]});
  const ml::Checkpoint again = ml::load_safetensors(path);
  check_same_tensors(again.tensors, {tensors[0]});
  CHECK(again.metadata.empty());
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);
  fs::remove_all(dir);
}

TEST_CASE("no tensors and no metadata is a valid file", "[checkpoint]") {
  const fs::path dir = temp_dir("empty");
  const std::string path = (dir / "empty.safetensors").string();
  ml::save_safetensors(path, {});
  CHECK(read_bytes(path) == le64(8) + "{}      ");
  const ml::Checkpoint ckpt = ml::load_safetensors(path);
  CHECK(ckpt.tensors.empty());
  CHECK(ckpt.metadata.empty());
  fs::remove_all(dir);
}

TEST_CASE("the byte layout follows the safetensors spec", "[checkpoint]") {
  const fs::path dir = temp_dir("layout");
  const std::string path = (dir / "layout.safetensors").string();
  const std::vector<float> b = {1.0f, -2.5f};
  const std::vector<float> a = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 2.5f};
  // "b" before "a": the data must follow the order written, not name order.
  ml::save_safetensors(path, {{"b", Tensor::from_vector({2}, b)}, {"a", Tensor::from_vector({2, 3}, a)}},
                       {{"epoch", "3"}});

  const std::string bytes = read_bytes(path);
  REQUIRE(bytes.size() >= 8);
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  CHECK(n % 8 == 0);
  REQUIRE(bytes.size() == 8 + n + (2 + 6) * 4);

  const std::string header = bytes.substr(8, n);
  CHECK(header.front() == '{');
  const size_t close = header.rfind('}');
  REQUIRE(close != std::string::npos);
  CHECK(header.find_first_not_of(' ', close + 1) == std::string::npos);  // padding is spaces only

  const nlohmann::json j = nlohmann::json::parse(header);
  CHECK(j.size() == 3);
  CHECK(j["__metadata__"] == nlohmann::json{{"epoch", "3"}});
  CHECK(j["b"]["dtype"] == "F32");
  CHECK(j["b"]["shape"] == nlohmann::json::array({2}));
  CHECK(j["b"]["data_offsets"] == nlohmann::json::array({0, 8}));
  CHECK(j["a"]["dtype"] == "F32");
  CHECK(j["a"]["shape"] == nlohmann::json::array({2, 3}));
  CHECK(j["a"]["data_offsets"] == nlohmann::json::array({8, 32}));

  const std::string data = bytes.substr(8 + n);
  // 1.0f = 0x3f800000 and -2.5f = 0xc0200000, least significant byte first.
  CHECK(data.substr(0, 8) == std::string("\x00\x00\x80\x3f\x00\x00\x20\xc0", 8));
  CHECK(data.substr(8) == float_bytes(a));
  fs::remove_all(dir);
}

TEST_CASE("numpy decodes the file to the same values", "[checkpoint][python]") {
  const std::string py = python_with_numpy();
  if (py.empty()) {
    WARN("python3 with numpy not found: the numpy cross-check is skipped");
    return;
  }
  const fs::path dir = temp_dir("numpy");
  const fs::path file = dir / "model.safetensors", script = dir / "decode.py", out = dir / "decoded.json";
  const auto tensors = sample_tensors();
  ml::save_safetensors(file.string(), tensors, kSampleMetadata);

  // Decodes by the spec with numpy alone; when the `safetensors` package is
  // installed, its reader must agree too.
  write_bytes(script, R"PY(import json, struct, sys
import numpy as np
path, out = sys.argv[1], sys.argv[2]
raw = open(path, "rb").read()
(n,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8:8 + n].decode("utf-8"))
data = raw[8 + n:]
result = {"metadata": header.pop("__metadata__", {}), "tensors": {}}
for name, info in header.items():
    assert info["dtype"] == "F32", name
    begin, end = info["data_offsets"]
    arr = np.frombuffer(data[begin:end], dtype="<f4").reshape(info["shape"])
    result["tensors"][name] = {"shape": list(arr.shape), "bits": arr.view("<u4").ravel().tolist()}
try:
    from safetensors.numpy import load_file
except ImportError:
    load_file = None
result["safetensors_package"] = load_file is not None
if load_file is not None:
    for name, arr in load_file(path).items():
        assert arr.dtype == np.float32 and list(arr.shape) == result["tensors"][name]["shape"], name
        assert arr.view("<u4").ravel().tolist() == result["tensors"][name]["bits"], name
json.dump(result, open(out, "w"))
)PY");
  const std::string cmd = py + " '" + script.string() + "' '" + file.string() + "' '" + out.string() + "'";
  INFO(cmd);
  REQUIRE(std::system(cmd.c_str()) == 0);

  const nlohmann::json r = nlohmann::json::parse(read_bytes(out));
  if (!r["safetensors_package"].get<bool>()) WARN("python package `safetensors` not installed: numpy decode only");
  CHECK(r["metadata"].get<std::map<std::string, std::string>>() == kSampleMetadata);
  REQUIRE(r["tensors"].size() == tensors.size());
  for (const auto& t : tensors) {
    INFO("tensor '" << t.name << "'");
    const auto& d = r["tensors"].at(t.name);
    CHECK(d["shape"].get<ml::Shape>() == t.tensor.shape());
    CHECK(d["bits"].get<std::vector<uint32_t>>() == bits(t.tensor.to_vector()));
  }
  fs::remove_all(dir);
}

TEST_CASE("a file from another writer loads: any key order, extra padding", "[checkpoint]") {
  // Header lists the tensors in the opposite order of their data, metadata
  // last, and is padded with more spaces than needed.
  const fs::path dir = temp_dir("foreign");
  const std::string path = (dir / "foreign.safetensors").string();
  const std::string header =
      R"({"second":{"dtype":"F32","shape":[1,2],"data_offsets":[12,20]},)"
      R"("first":{"shape":[3],"data_offsets":[0,12],"dtype":"F32"},"__metadata__":{"source":"by hand"}})"
      "                ";
  write_bytes(path, raw_file(header, float_bytes({1, 2, 3, -4, -5})));

  const ml::Checkpoint ckpt = ml::load_safetensors(path);
  REQUIRE(ckpt.tensors.size() == 2);
  CHECK(ckpt.tensors[0].name == "first");  // in data order
  CHECK(ckpt.tensors[0].tensor.shape() == ml::Shape{3});
  CHECK(ckpt.tensors[0].tensor.to_vector() == std::vector<float>{1, 2, 3});
  CHECK(ckpt.tensors[1].name == "second");
  CHECK(ckpt.tensors[1].tensor.shape() == ml::Shape{1, 2});
  CHECK(ckpt.tensors[1].tensor.to_vector() == std::vector<float>{-4, -5});
  CHECK(ckpt.metadata == std::map<std::string, std::string>{{"source", "by hand"}});
  fs::remove_all(dir);
}

TEST_CASE("every kind of bad file is a one-line error naming the path", "[checkpoint][errors]") {
  const fs::path dir = temp_dir("errors");
  const std::string x2 = R"("x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";  // a valid 2-float entry
  const std::string eight = float_bytes({1, 2});

  struct Case {
    std::string name, bytes, expect;
  };
  const std::vector<Case> cases = {
      {"empty", "", "file is 0 bytes, too short"},
      {"short", "\x01\x02\x03\x04\x05", "file is 5 bytes, too short"},
      {"header_size_too_big", le64(1000) + "{}      " + "1234", "header size 1000 is larger than the file (20 bytes)"},
      {"header_size_huge", le64(UINT64_MAX) + "{}      ", "header size 18446744073709551615 is larger than the file"},
      {"not_json", raw_file(R"({"x": )", ""), "header is not valid JSON: "},
      {"bad_utf8", raw_file("{\"\xff\": 1}", ""), "header is not valid JSON: "},
      {"not_object", raw_file("[1, 2]", ""), "header is not a JSON object"},
      {"duplicate", raw_file("{" + x2 + "," + x2 + "}", eight), "the header names tensor 'x' twice"},
      {"entry_not_object", raw_file(R"({"x": 5})", ""), "tensor 'x' has a header entry that is not a JSON object: 5"},
      {"no_dtype", raw_file(R"({"x":{"shape":[2],"data_offsets":[0,8]}})", eight), "tensor 'x' has no dtype string"},
      {"f16", raw_file(R"({"x":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})", "abcd"),
       "tensor 'x' has dtype F16; only F32 is supported"},
      {"no_shape", raw_file(R"({"x":{"dtype":"F32","data_offsets":[0,8]}})", eight), "tensor 'x' has no shape"},
      {"negative_dim", raw_file(R"({"x":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", eight),
       "tensor 'x' has an invalid shape [-2]; expected a list of non-negative integers"},
      {"fractional_dim", raw_file(R"({"x":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}})", eight),
       "tensor 'x' has an invalid shape [2.0]"},
      {"no_offsets", raw_file(R"({"x":{"dtype":"F32","shape":[2]}})", eight), "tensor 'x' has no data_offsets"},
      {"offsets_reversed", raw_file(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", eight),
       "tensor 'x' has invalid data_offsets [8,0]; expected [begin, end] with 0 <= begin <= end"},
      {"offset_negative", raw_file(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}})", eight),
       "tensor 'x' has invalid data_offsets [-8,0]"},
      {"offsets_not_pair", raw_file(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", eight),
       "tensor 'x' has invalid data_offsets [0]"},
      {"offsets_vs_shape", raw_file(R"({"x":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}})", "123456789012"),
       "tensor 'x' has data_offsets [0, 12] (12 bytes) but shape [2, 2] needs 16 bytes"},
      {"shape_overflow",
       raw_file(R"({"x":{"dtype":"F32","shape":[2147483647,2147483647,2147483647],"data_offsets":[0,8]}})", eight),
       "tensor 'x' has shape [2147483647, 2147483647, 2147483647], too large to address"},
      {"truncated", raw_file(R"({"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", eight),
       "truncated: tensor 'x' has data_offsets [0, 16] but the data section has only 8 bytes"},
      {"offsets_past_end", raw_file(R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[100,104]}})", "abcd"),
       "truncated: tensor 'x' has data_offsets [100, 104] but the data section has only 4 bytes"},
      {"overlap",
       raw_file("{" + x2 + R"(,"y":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", float_bytes({1, 2, 3})),
       "tensor 'y' data_offsets [4, 12] overlap tensor 'x' (which ends at 8)"},
      {"gap",
       raw_file("{" + x2 + R"(,"y":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}})", float_bytes({1, 2, 3, 4, 5})),
       "tensor 'y' data_offsets [12, 20] leave a gap after tensor 'x' (which ends at 8)"},
      {"gap_at_start", raw_file(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", float_bytes({1, 2, 3})),
       "tensor 'x' data_offsets [4, 12] leave a gap after the start of the data (which ends at 0)"},
      {"trailing", raw_file("{" + x2 + "}", float_bytes({1, 2, 3})),
       "4 unexpected bytes after the last tensor's data (data section 12 bytes, tensors end at 8)"},
      {"metadata_not_object", raw_file(R"({"__metadata__":[1]})", ""), "__metadata__ is not a JSON object"},
      {"metadata_not_string", raw_file(R"({"__metadata__":{"epoch":3}})", ""),
       "__metadata__ value for 'epoch' is not a string: 3"},
  };
  for (const Case& c : cases) {
    const std::string path = (dir / (c.name + ".safetensors")).string();
    write_bytes(path, c.bytes);
    const std::string msg = load_error(path);
    INFO("case " << c.name << ": " << msg);
    CHECK_THAT(msg, Catch::StartsWith(path + ": "));
    CHECK_THAT(msg, Catch::Contains(c.expect));
    CHECK(msg.find('\n') == std::string::npos);
  }

  // The message the brief asks for, in full.
  CHECK(load_error((dir / "f16.safetensors").string()) ==
        (dir / "f16.safetensors").string() + ": tensor 'x' has dtype F16; only F32 is supported");

  const std::string missing = (dir / "missing.safetensors").string();
  CHECK(load_error(missing) == missing + ": cannot read: No such file or directory");
  CHECK(load_error(dir.string()) == dir.string() + ": cannot read: Is a directory");

  // A real checkpoint cut short, as by a full disk without the atomic write.
  const std::string cut = (dir / "cut.safetensors").string();
  ml::save_safetensors(cut, sample_tensors());
  fs::resize_file(cut, fs::file_size(cut) - 3);
  CHECK_THAT(load_error(cut), Catch::StartsWith(cut + ": truncated: tensor "));
  fs::remove_all(dir);
}

TEST_CASE("save rejects bad arguments before touching the file", "[checkpoint][errors]") {
  const fs::path dir = temp_dir("save_errors");
  const std::string path = (dir / "model.safetensors").string();
  ml::save_safetensors(path, {{"w", Tensor::from_vector({2}, {1, 2})}});
  const std::string before = read_bytes(path);
  const Tensor t = Tensor::from_vector({2}, {3, 4});

  struct Case {
    std::vector<NamedTensor> tensors;
    std::map<std::string, std::string> metadata;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {{{"w", t}, {"b", t}, {"w", t}}, {}, ": tensor name 'w' appears twice"},
      {{{"", t}}, {}, ": a tensor has an empty name"},
      {{{"__metadata__", t}}, {}, ": '__metadata__' is reserved, not a tensor name"},
      {{{"w", Tensor()}}, {}, ": tensor 'w' was never allocated"},
      {{{"w", t}}, {{"note", "\xff\xfe"}}, ": cannot encode the header: "},  // not UTF-8
  };
  for (const Case& c : cases) {
    INFO("expect " << c.expect);
    try {
      ml::save_safetensors(path, c.tensors, c.metadata);
      FAIL("no exception");
    } catch (const std::invalid_argument& e) {
      CHECK_THAT(e.what(), Catch::StartsWith(path + c.expect));
      CHECK(std::string(e.what()).find('\n') == std::string::npos);
    }
    CHECK(read_bytes(path) == before);
    CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);
  }
  fs::remove_all(dir);
}

TEST_CASE("load_into checks the shape exactly and names the tensor", "[checkpoint][errors]") {
  ml::Checkpoint ckpt;
  ckpt.tensors = {{"fc1.weight", Tensor::from_vector({2, 3}, {1, 2, 3, 4, 5, 6})}};

  Tensor dst({2, 3});
  ml::load_into(ckpt, "fc1.weight", dst);
  CHECK(dst.to_vector() == std::vector<float>{1, 2, 3, 4, 5, 6});

  Tensor transposed({3, 2});  // same element count, different shape: still refused
  CHECK_THROWS_MATCHES(
      ml::load_into(ckpt, "fc1.weight", transposed), std::invalid_argument,
      Catch::Matchers::Message("checkpoint tensor 'fc1.weight' has shape [2, 3], the network expects [3, 2]"));
  CHECK(transposed.to_vector() == std::vector<float>(6, 0.0f));
  CHECK_THROWS_MATCHES(ml::load_into(ckpt, "fc2.weight", dst), std::invalid_argument,
                       Catch::Matchers::Message("checkpoint has no tensor 'fc2.weight'"));
  Tensor unallocated;
  CHECK_THROWS_AS(ml::load_into(ckpt, "fc1.weight", unallocated), std::invalid_argument);

  // Loaded from a file, the errors name the file too.
  const fs::path dir = temp_dir("load_into");
  const std::string path = (dir / "model.safetensors").string();
  ml::save_safetensors(path, ckpt.tensors);
  const ml::Checkpoint loaded = ml::load_safetensors(path);
  Tensor wide({2, 4});
  CHECK_THROWS_MATCHES(
      ml::load_into(loaded, "fc1.weight", wide), std::invalid_argument,
      Catch::Matchers::Message(path + ": checkpoint tensor 'fc1.weight' has shape [2, 3], the network expects [2, 4]"));
  fs::remove_all(dir);
}

TEST_CASE("CUDA tensors save and load_into CUDA tensors bit-exactly", "[checkpoint][cuda]") {
  if (!ml::cuda_available()) {
    WARN("no usable GPU: the CUDA save/load_into path is not exercised");
    return;
  }
  const fs::path dir = temp_dir("cuda");
  const std::string path = (dir / "model.safetensors").string();
  const auto host = sample_tensors();
  std::vector<NamedTensor> device;
  for (const auto& t : host) device.push_back({t.name, t.tensor.to(ml::Device::CUDA)});
  ml::save_safetensors(path, device, kSampleMetadata);

  const ml::Checkpoint ckpt = ml::load_safetensors(path);
  check_same_tensors(ckpt.tensors, host);
  for (const auto& t : host) {
    Tensor dst(t.tensor.shape(), ml::Device::CUDA);
    ml::load_into(ckpt, t.name, dst);
    INFO("tensor '" << t.name << "'");
    CHECK(bits(dst.to_vector()) == bits(t.tensor.to_vector()));
  }
  fs::remove_all(dir);
}

TEST_CASE("a deeply nested header or a newline in a name stays a one-line error", "[checkpoint][errors]") {
  const fs::path dir = temp_dir("deep");
  // 100,000 nested lists: printing them back would overflow the stack
  const std::string deep = (dir / "deep.safetensors").string();
  write_bytes(deep, raw_file(R"({"x":)" + std::string(100000, '[') + std::string(100000, ']') + "}", ""));
  CHECK(load_error(deep) == deep + ": header nests deeper than 16 levels");
  const std::string name = (dir / "name.safetensors").string();
  write_bytes(name, raw_file(R"({"a\nb":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}})", "ab"));
  CHECK(load_error(name) == name + ": tensor 'a\\nb' has dtype F16; only F32 is supported");
  fs::remove_all(dir);
}
