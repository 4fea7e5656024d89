// Shared test helpers: seeded random fills, tolerant comparison with a report
// of the first bad index, and double-precision central differences.
#pragma once
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <unistd.h>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace ml_test {

inline std::vector<float> random_vector(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(gen);
  return v;
}

// |a - b| <= atol + rtol * |ref| elementwise; on failure the message names the
// first bad index, the count of bad elements and the largest difference.
inline void require_close(const std::vector<float>& got, const std::vector<float>& ref, double atol, double rtol,
                          const std::string& what) {
  REQUIRE(got.size() == ref.size());
  size_t bad = 0, first = 0;
  double max_diff = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    double d = std::fabs(double(got[i]) - double(ref[i]));
    if (!std::isfinite(got[i])) d = INFINITY;
    max_diff = std::max(max_diff, d);
    if (d > atol + rtol * std::fabs(double(ref[i]))) {
      if (bad == 0) first = i;
      ++bad;
    }
  }
  std::ostringstream msg;
  msg << what << ": " << bad << " of " << ref.size() << " outside atol " << atol << " rtol " << rtol
      << "; max |diff| " << max_diff;
  if (bad) msg << "; first at " << first << " got " << got[first] << " want " << ref[first];
  INFO(msg.str());
  CHECK(bad == 0);
}

// A fresh directory per test case under the system temp dir, removed afterwards.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& tag)
      : path(std::filesystem::temp_directory_path() / ("ml-test-" + std::to_string(::getpid()) + "-" + tag)) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

// The message of the exception of type E that f throws; checks it is one line.
template <class E, class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK(msg.find('\n') == std::string::npos);
    return msg;
  }
  FAIL("no exception thrown");
  return "";
}

}  // namespace ml_test
