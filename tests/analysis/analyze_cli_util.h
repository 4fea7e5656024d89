// Running the ml-analyze binary from tests: its exit status, stdout and stderr,
// and writing a matrix as the float32 .npy that ml-record writes.
#pragma once
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <Eigen/Dense>
#include <catch2/catch.hpp>

#include "datasets/npy.h"
#include "test_util.h"

namespace ml_test {

inline std::string slurp_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

struct AnalyzeRun {
  int status = -1;
  std::string out, err;
};

inline AnalyzeRun analyze(const std::string& args, const TempDir& dir) {
  const char* bin = std::getenv("ML_BINARY_DIR");
  const std::string exe = std::string(bin ? bin : "..") + "/ml-analyze";
  REQUIRE(std::filesystem::exists(exe));
  const std::string out = dir.file("stdout.txt"), err = dir.file("stderr.txt");
  const int status = std::system((exe + " " + args + " > " + out + " 2> " + err).c_str());
  return {WEXITSTATUS(status), slurp_file(out), slurp_file(err)};
}

// float32, as ml-record writes activations.
inline void save_f4(const std::string& path, const Eigen::MatrixXd& m) {
  std::vector<float> v;
  for (Eigen::Index i = 0; i < m.rows(); ++i)
    for (Eigen::Index j = 0; j < m.cols(); ++j) v.push_back(static_cast<float>(m(i, j)));
  ml::write_npy(path, v.data(), {m.rows(), m.cols()});
}

}  // namespace ml_test
