// IDX reading through zlib's gz* interface: gzopen looks at the first bytes
// and decompresses only when it finds the gzip magic (1f 8b), otherwise it
// copies the file as it is, so plain and gzipped files take the same path
// and the file name plays no part.
#include "datasets/idx.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <stdexcept>

namespace ml {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

// Owns the gzFile so that every error path closes it.
class GzReader {
 public:
  explicit GzReader(const std::string& path) : path_(path) {
    // open(2) succeeds on a directory; the read would then fail less clearly
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) fail(path, "cannot open (Is a directory)");
    errno = 0;
    file_ = gzopen(path.c_str(), "rb");
    if (!file_) fail(path, std::string("cannot open (") + (errno ? std::strerror(errno) : "gzopen failed") + ")");
    gzbuffer(file_, 1u << 17);  // larger than the 8 KiB default: fewer read calls on 26 MB files
  }
  ~GzReader() { gzclose(file_); }
  GzReader(const GzReader&) = delete;
  GzReader& operator=(const GzReader&) = delete;

  // Reads up to n bytes and returns how many arrived; stops early at the end of
  // the file or at a zlib error (then problem() says which).
  size_t read(uint8_t* out, size_t n) {
    // Pieces, because gzread takes an unsigned length, and when zlib fails
    // inside one call it reports no count for it: small pieces keep the
    // "got M bytes" of an error message within about zlib's own buffer
    // (256 KiB) of where the stream broke.
    constexpr size_t kPiece = 1u << 16;
    size_t got = 0;
    while (got < n) {
      const auto piece = static_cast<unsigned>(std::min(n - got, kPiece));
      const int r = gzread(file_, out + got, piece);
      if (r <= 0) break;
      got += static_cast<size_t>(r);
    }
    return got;
  }

  // Whether zlib found no gzip magic and copies the file as it is.
  bool plain() const { return gzdirect(file_) == 1; }

  // Empty while the stream is fine; else what went wrong, in words: a stream
  // that ends early (cut short) or one that zlib cannot decode (corrupt).
  std::string problem() const {
    int err = Z_OK;
    const char* msg = gzerror(file_, &err);
    if (err == Z_OK) return "";
    std::string s = msg ? msg : "zlib error " + std::to_string(err);
    // zlib prefixes its messages with the path, which our message names already
    if (s.starts_with(path_ + ": ")) s.erase(0, path_.size() + 2);
    if (err == Z_BUF_ERROR) return "gzip stream cut short: " + s;
    if (err == Z_ERRNO) return "read error: " + s;
    return "corrupt gzip stream: " + s;
  }

 private:
  std::string path_;
  gzFile file_ = nullptr;
};

uint32_t big_endian_u32(const uint8_t* b) {
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", static_cast<unsigned>(v));
  return buf;
}

std::string join_dims(const std::vector<int>& dims) {
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? " x " : "") + std::to_string(dims[i]);
  return s;
}

std::string truncated(uint64_t expected, uint64_t got, const std::string& what, const std::string& problem) {
  std::string s = "truncated: expected " + std::to_string(expected) + " bytes of " + what + ", got " +
                  std::to_string(got);
  if (!problem.empty()) s += " (" + problem + ")";
  return s;
}

// Reads exactly n bytes or throws "truncated" naming `what`.
void read_exact(GzReader& in, const std::string& path, uint8_t* out, size_t n, const std::string& what) {
  const size_t got = in.read(out, n);
  if (got < n) fail(path, truncated(n, got, what, in.problem()));
}

std::vector<int> read_dims(GzReader& in, const std::string& path) {
  uint8_t magic[4];
  read_exact(in, path, magic, 4, "IDX magic number");
  if (magic[0] != 0 || magic[1] != 0 || magic[2] != 0x08)
    fail(path, "not an IDX file of unsigned bytes (magic " + hex32(big_endian_u32(magic)) + ")");
  const int ndim = magic[3];
  if (ndim < 1 || ndim > 4)
    fail(path, "IDX file with " + std::to_string(ndim) + " dimensions (magic " + hex32(big_endian_u32(magic)) +
                   "); expected 1 to 4");

  std::vector<uint8_t> raw(4 * static_cast<size_t>(ndim));
  read_exact(in, path, raw.data(), raw.size(), "dimensions");
  std::vector<int> dims;
  for (int i = 0; i < ndim; ++i) {
    const uint32_t d = big_endian_u32(&raw[4 * static_cast<size_t>(i)]);
    if (d > static_cast<uint32_t>(std::numeric_limits<int>::max()))
      fail(path, "dimension " + std::to_string(i) + " is " + std::to_string(d) + ", too large");
    dims.push_back(static_cast<int>(d));
  }
  return dims;
}

// Bytes the dimensions promise; four dimensions below 2^31 can overflow 64
// bits, and no sane IDX file comes near 1 TiB, so larger is refused.
uint64_t data_bytes(const std::vector<int>& dims, const std::string& path) {
  constexpr uint64_t kMax = uint64_t{1} << 40;
  uint64_t n = 1;
  for (int d : dims) {
    const auto u = static_cast<uint64_t>(d);
    if (u != 0 && n > kMax / u) fail(path, "dimensions " + join_dims(dims) + " promise more than 1 TiB of data");
    n *= u;
  }
  return n;
}

}  // namespace

IdxArray read_idx(const std::string& path) {
  GzReader in(path);
  IdxArray a;
  a.dims = read_dims(in, path);
  const uint64_t expected = data_bytes(a.dims, path);

  // A plain file says at once whether it holds what the header promises.
  if (in.plain()) {
    std::error_code ec;
    const uintmax_t size = std::filesystem::file_size(path, ec);
    const uint64_t header = 4 + 4 * a.dims.size();
    if (!ec && size - header < expected)
      fail(path, truncated(expected, size - header, "data", "the header promises more than the file holds"));
  }
  // Grow the buffer as bytes arrive instead of trusting the header with one
  // allocation: a corrupt gzip header then ends in "truncated", not in
  // bad_alloc, having allocated at most about twice what arrived.
  uint64_t have = 0, step = uint64_t{1} << 16;
  while (have < expected) {
    const uint64_t want = std::min(expected - have, step);
    step = std::min(step * 2, uint64_t{1} << 26);
    a.data.resize(have + want);
    const size_t got = in.read(a.data.data() + have, want);
    have += got;
    if (got < want) break;
  }
  a.data.resize(have);
  if (have < expected) fail(path, truncated(expected, have, "data", in.problem()));

  // One more byte: finds leftovers (wrong dimensions?) and, for gzip, makes
  // zlib reach the end of the stream and check its CRC and length.
  uint8_t extra = 0;
  if (in.read(&extra, 1) != 0)
    fail(path, "more bytes than the dimensions " + join_dims(a.dims) + " promise (" + std::to_string(expected) + ")");
  // (the data arrived whole, but the gzip trailer is missing or disagrees)
  if (const std::string problem = in.problem(); !problem.empty())
    fail(path, "all " + std::to_string(expected) + " bytes of data read, then: " + problem);
  return a;
}

}  // namespace ml
