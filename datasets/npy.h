// NumPy .npy files (format versions 1.0-3.0), the exchange format between the
// recorder, ml-analyze and the researcher's own numpy/rsatoolbox scripts.
// https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
//
// Written: float32 ('<f4') or int64 ('<i8'), C order, version 1.0, header
// padded so the data starts on a 64-byte boundary (what numpy itself does).
// Read: '<f4', '<f8' and the little-endian integer types '<i4', '<i8', '|u1',
// C order only; values are converted to double, so every analysis sums in
// double whatever the file holds.
#pragma once
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace ml {

struct NpyArray {
  std::vector<int64_t> shape;  // empty for a 0-d array
  std::vector<double> data;    // C order, product(shape) values
  std::string dtype;           // as stored in the file: "<f4", "<f8", "<i8", ...

  int64_t rows() const { return shape.empty() ? 1 : shape[0]; }
  // Features per row: the product of every dimension after the first.
  int64_t cols() const;
};

// Throws std::runtime_error with one line naming path for a missing or short
// file, a bad magic string or header, an unsupported dtype, Fortran order, or
// a data section whose size disagrees with the shape.
NpyArray read_npy(const std::string& path);

// The same from the file's bytes (path only names it in errors). Counts and
// lengths from the header are checked against bytes.size() before any
// allocation, so a header that promises more than the file holds is an error.
NpyArray parse_npy(const std::string& bytes, const std::string& path);

// Atomic writes (base/atomic_file.h): the file is complete or absent.
void write_npy(const std::string& path, const float* data, const std::vector<int64_t>& shape);
void write_npy(const std::string& path, const double* data, const std::vector<int64_t>& shape);  // stored as '<f8'
void write_npy(const std::string& path, const int64_t* data, const std::vector<int64_t>& shape);

// A float32 .npy written in pieces (activations, batch by batch, without
// holding N x features in memory). Data goes to "<path>.partial"; commit()
// checks that exactly product(shape) values came and renames it to path. A
// writer destroyed without commit() removes the partial file, so a failed
// recording leaves no half-written .npy behind.
class NpyStreamWriter {
 public:
  NpyStreamWriter(const std::string& path, const std::vector<int64_t>& shape);
  ~NpyStreamWriter();
  NpyStreamWriter(const NpyStreamWriter&) = delete;
  NpyStreamWriter& operator=(const NpyStreamWriter&) = delete;
  void append(const float* data, size_t count);
  void commit();

 private:
  std::string path_, partial_;
  std::ofstream out_;
  size_t expected_ = 0, written_ = 0;
  bool committed_ = false;
};

}  // namespace ml
