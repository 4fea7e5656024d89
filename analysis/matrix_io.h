// Loading .npy inputs for the analyses as Eigen matrices (double), with the
// checks every ml-analyze subcommand needs: the shape the caller expects and
// finite values (a NaN or Inf is named with its row and column).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Dense>

namespace ml {

// N x features from an .npy of 2 or more dimensions (features = product of the
// dimensions after the first; a 1-d file is N x 1). Throws std::runtime_error
// with one line naming path for an unreadable file, a 0-d array, no rows, or a
// NaN/Inf ("path: row 17 column 3 is nan").
Eigen::MatrixXd load_matrix_npy(const std::string& path);

// Integer labels from a 1-d (or N x 1) .npy; non-integral or non-finite values
// are an error naming the row.
std::vector<int64_t> load_labels_npy(const std::string& path);

// The same checks on an array already read (path names it in errors).
struct NpyArray;
Eigen::MatrixXd matrix_from_npy(const NpyArray& a, const std::string& path);
std::vector<int64_t> labels_from_npy(const NpyArray& a, const std::string& path);

// Throws std::runtime_error("<what>: row R column C is nan|inf") at the first
// non-finite value.
void require_finite(const Eigen::MatrixXd& m, const std::string& what);

// Writes m as a float64 .npy (C order, rows x cols), atomically.
void write_matrix_npy(const std::string& path, const Eigen::MatrixXd& m);

}  // namespace ml
