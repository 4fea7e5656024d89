// Writes a small, learnable IDX data set (10 classes: a bright bar whose
// position and direction give the class, plus noise) for end-to-end tests.
#pragma once
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace ml_test {

inline void write_idx(const std::string& path, const std::vector<int>& dims, const std::vector<uint8_t>& data) {
  std::ofstream f(path, std::ios::binary);
  const uint8_t magic[4] = {0, 0, 0x08, static_cast<uint8_t>(dims.size())};
  f.write(reinterpret_cast<const char*>(magic), 4);
  for (int d : dims) {
    const uint8_t be[4] = {static_cast<uint8_t>(d >> 24), static_cast<uint8_t>(d >> 16), static_cast<uint8_t>(d >> 8),
                           static_cast<uint8_t>(d)};
    f.write(reinterpret_cast<const char*>(be), 4);
  }
  f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

// size x size images; returns the directory.
inline std::string write_synthetic_idx(const std::string& dir, int n_train, int n_test, int size = 12,
                                       uint32_t seed = 5) {
  std::filesystem::create_directories(dir);
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> noise(0, 60);
  auto make = [&](int n, const std::string& prefix) {
    std::vector<uint8_t> images(static_cast<size_t>(n) * size * size), labels(n);
    for (int i = 0; i < n; ++i) {
      const int label = i % 10;
      labels[i] = static_cast<uint8_t>(label);
      uint8_t* img = images.data() + static_cast<size_t>(i) * size * size;
      for (int p = 0; p < size * size; ++p) img[p] = static_cast<uint8_t>(noise(gen));
      const int line = 1 + (label % 5) * (size - 2) / 5;
      for (int t = 0; t < size; ++t) {
        if (label < 5) img[line * size + t] = 255;  // horizontal bar
        else img[t * size + line] = 255;            // vertical bar
      }
    }
    write_idx(dir + "/" + prefix + "-images-idx3-ubyte", {n, size, size}, images);
    write_idx(dir + "/" + prefix + "-labels-idx1-ubyte", {n}, labels);
  };
  make(n_train, "train");
  make(n_test, "t10k");
  return dir;
}

}  // namespace ml_test
