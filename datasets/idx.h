// Reader for IDX files (the MNIST / Fashion-MNIST format), plain or gzipped.
//
// An IDX file is a 4-byte magic 0x00 0x00 <type> <ndim>, then ndim big-endian
// uint32 dimensions, then the data in row-major order. Only type 0x08
// (unsigned byte) is accepted, with 1..4 dimensions: that is all MNIST-style
// data sets use, and anything else here is more likely a wrong file.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ml {

struct IdxArray {
  std::vector<int> dims;      // outermost first, e.g. {60000, 28, 28}
  std::vector<uint8_t> data;  // product(dims) bytes, row-major
};

// Reads `path`; gzip compression is recognised by the gzip magic (1f 8b), not
// by the file name. Throws std::runtime_error with one line that names the
// file: cannot open, not an IDX file of unsigned bytes, truncated (also for a
// corrupt gzip stream), or bytes left over after the data.
IdxArray read_idx(const std::string& path);

}  // namespace ml
