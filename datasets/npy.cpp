#include "datasets/npy.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "base/atomic_file.h"
#include "base/error_text.h"
#include "base/file_bytes.h"

namespace ml {

int64_t NpyArray::cols() const {
  int64_t c = 1;
  for (size_t i = 1; i < shape.size(); ++i) c *= shape[i];
  return c;
}

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& why) {
  throw std::runtime_error(path + ": " + why);
}

// The value of 'key' in the header's Python dict literal, as raw text.
std::string dict_value(const std::string& header, const std::string& key, const std::string& path) {
  const std::string quoted = "'" + key + "'";
  size_t at = header.find(quoted);
  if (at == std::string::npos) fail(path, "npy header has no '" + key + "'");
  at = header.find(':', at + quoted.size());
  if (at == std::string::npos) fail(path, "npy header is malformed near '" + key + "'");
  ++at;
  while (at < header.size() && header[at] == ' ') ++at;
  size_t end = at;
  if (header[at] == '(') {
    end = header.find(')', at);
    if (end == std::string::npos) fail(path, "npy header has an unterminated shape");
    return header.substr(at, end - at + 1);
  }
  while (end < header.size() && header[end] != ',' && header[end] != '}') ++end;
  std::string v = header.substr(at, end - at);
  while (!v.empty() && v.back() == ' ') v.pop_back();
  return v;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + ")";
}

std::vector<int64_t> parse_shape(const std::string& text, const std::string& path) {
  if (text.size() < 2 || text.front() != '(' || text.back() != ')')
    fail(path, "npy header has a shape that is not a tuple: " + printable(text));
  std::vector<int64_t> shape;
  std::string inner = text.substr(1, text.size() - 2);
  std::stringstream ss(inner);
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t b = item.find_first_not_of(' ');
    if (b == std::string::npos) continue;  // the trailing comma of a 1-tuple
    item = item.substr(b);
    while (!item.empty() && (item.back() == ' ' || item.back() == 'L')) item.pop_back();
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || v < 0 || errno == ERANGE)
      fail(path, "npy header has a bad shape " + printable(text));
    shape.push_back(v);
  }
  return shape;
}

// Magic, version 1.0, header length and the dict, padded with spaces so the
// data starts on a 64-byte boundary.
std::string npy_header(const std::string& path, const char* descr, const std::vector<int64_t>& shape) {
  std::string dims;
  for (int64_t d : shape) {
    if (d < 0) throw std::invalid_argument(path + ": negative dimension in npy shape");
    dims += std::to_string(d) + ", ";
  }
  if (shape.size() == 1) dims.pop_back();  // "(5,)"
  else if (!dims.empty()) dims.resize(dims.size() - 2);
  std::string dict = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  const size_t prefix = 10;  // magic(6) + version(2) + header length(2)
  dict.append((64 - (prefix + dict.size() + 1) % 64) % 64, ' ');
  dict.push_back('\n');
  if (dict.size() > 65535) throw std::invalid_argument(path + ": npy shape too long for a version 1.0 header");
  std::string out = "\x93NUMPY";
  out.push_back(1);
  out.push_back(0);
  out.push_back(static_cast<char>(dict.size() & 0xff));
  out.push_back(static_cast<char>(dict.size() >> 8));
  return out + dict;
}

template <typename T>
void convert(const char* raw, std::vector<double>& out) {
  for (size_t i = 0; i < out.size(); ++i) {
    T v;
    std::memcpy(&v, raw + i * sizeof(T), sizeof(T));
    out[i] = static_cast<double>(v);
  }
}

void write_any(const std::string& path, const void* data, size_t element_size, const char* descr,
               const std::vector<int64_t>& shape) {
  size_t count = 1;
  for (int64_t d : shape) count *= static_cast<size_t>(std::max<int64_t>(d, 0));
  const std::string header = npy_header(path, descr, shape);
  write_file_atomically(path, [&](std::ostream& out) {
    out << header;
    out.write(static_cast<const char*>(data), static_cast<std::streamsize>(count * element_size));
  });
}

}  // namespace

NpyArray parse_npy(const std::string& bytes, const std::string& path) {
  // Every length and count below comes from the file, so each is checked
  // against the bytes actually there before anything is allocated from it.
  const size_t size = bytes.size();
  const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
  if (size < 8) fail(path, "too short for an npy file (" + std::to_string(size) + " bytes)");
  if (std::memcmp(b, "\x93NUMPY", 6) != 0) fail(path, "not an npy file (bad magic string)");
  const int major = b[6];
  size_t prefix = 0, header_len = 0;
  if (major == 1) {
    prefix = 10;
    if (size < prefix) fail(path, "truncated npy header");
    header_len = b[8] | (b[9] << 8);
  } else if (major == 2 || major == 3) {
    prefix = 12;
    if (size < prefix) fail(path, "truncated npy header");
    header_len = b[8] | (b[9] << 8) | (b[10] << 16) | (static_cast<size_t>(b[11]) << 24);
  } else {
    fail(path, "unsupported npy format version " + std::to_string(major));
  }
  if (header_len > size - prefix)
    fail(path, "truncated npy header: it claims " + std::to_string(header_len) + " bytes, the file has " +
                   std::to_string(size - prefix) + " after the prefix");
  const std::string header = bytes.substr(prefix, header_len);

  NpyArray a;
  std::string descr = dict_value(header, "descr", path);
  if (descr.size() < 2 || (descr.front() != '\'' && descr.front() != '"')) fail(path, "npy header has a bad descr");
  a.dtype = descr.substr(1, descr.size() - 2);
  if (dict_value(header, "fortran_order", path) != "False")
    fail(path, "Fortran-ordered npy arrays are not supported (save with np.ascontiguousarray)");
  a.shape = parse_shape(dict_value(header, "shape", path), path);

  size_t element = 0;
  if (a.dtype == "<f4" || a.dtype == "<i4") element = 4;
  else if (a.dtype == "<f8" || a.dtype == "<i8") element = 8;
  else if (a.dtype == "|u1") element = 1;
  else fail(path, "unsupported npy dtype '" + printable(a.dtype) + "' (expected <f4, <f8, <i4, <i8 or |u1)");

  // The product of the non-zero dimensions bounds every partial product, so
  // NpyArray::cols() cannot overflow either, even when a zero makes count 0.
  constexpr uint64_t kMaxCount = uint64_t{1} << 60;
  uint64_t nonzero = 1, count = 1;
  for (int64_t d : a.shape) {
    const auto u = static_cast<uint64_t>(d);
    if (u != 0 && nonzero > kMaxCount / u) fail(path, "npy shape is too large: " + shape_text(a.shape));
    if (u != 0) nonzero *= u;
    count *= u;
  }
  const size_t data_bytes = size - prefix - header_len;
  if (count > data_bytes / element)
    fail(path, "npy data is truncated: expected " + std::to_string(count) + " values of " + std::to_string(element) +
                   " bytes, found " + std::to_string(data_bytes) + " bytes");
  if (count * element != data_bytes) fail(path, "npy file has trailing bytes after the data");
  const char* raw = bytes.data() + prefix + header_len;
  a.data.resize(count);
  if (a.dtype == "<f4") convert<float>(raw, a.data);
  else if (a.dtype == "<f8") convert<double>(raw, a.data);
  else if (a.dtype == "<i4") convert<int32_t>(raw, a.data);
  else if (a.dtype == "<i8") convert<int64_t>(raw, a.data);
  else convert<uint8_t>(raw, a.data);
  return a;
}

NpyArray read_npy(const std::string& path) { return parse_npy(read_file_bytes(path), path); }

void write_npy(const std::string& path, const float* data, const std::vector<int64_t>& shape) {
  write_any(path, data, sizeof(float), "<f4", shape);
}
void write_npy(const std::string& path, const double* data, const std::vector<int64_t>& shape) {
  write_any(path, data, sizeof(double), "<f8", shape);
}
void write_npy(const std::string& path, const int64_t* data, const std::vector<int64_t>& shape) {
  write_any(path, data, sizeof(int64_t), "<i8", shape);
}

NpyStreamWriter::NpyStreamWriter(const std::string& path, const std::vector<int64_t>& shape)
    : path_(path), partial_(path + ".partial") {
  expected_ = 1;
  for (int64_t d : shape) expected_ *= static_cast<size_t>(std::max<int64_t>(d, 0));
  const std::string header = npy_header(path, "<f4", shape);
  out_.open(partial_, std::ios::binary | std::ios::trunc);
  if (!out_) fail(path, std::string("cannot create '") + partial_ + "': " + std::strerror(errno));
  out_ << header;
}

NpyStreamWriter::~NpyStreamWriter() {
  if (!committed_) {
    out_.close();
    std::remove(partial_.c_str());
  }
}

void NpyStreamWriter::append(const float* data, size_t count) {
  if (written_ + count > expected_) fail(path_, "more values appended than the npy shape holds");
  out_.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(count * sizeof(float)));
  if (!out_) fail(path_, std::string("writing '") + partial_ + "' failed: " + std::strerror(errno));
  written_ += count;
}

void NpyStreamWriter::commit() {
  if (written_ != expected_)
    fail(path_, "npy stream closed after " + std::to_string(written_) + " of " + std::to_string(expected_) + " values");
  out_.close();
  if (out_.fail()) fail(path_, std::string("closing '") + partial_ + "' failed: " + std::strerror(errno));
  commit_file_atomically(partial_, path_);  // on disk before the rename, like every other output
  committed_ = true;
}

}  // namespace ml
