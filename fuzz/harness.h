// One check per reader of outside data, shared by the libFuzzer targets
// (fuzz/fuzz_target.cpp) and the ordinary test that replays the committed
// corpus and every input a fuzzer found (tests/fuzz/test_fuzz_inputs.cpp).
//
// A check feeds the bytes to the reader and returns "" when the reader either
// accepted them or rejected them with one line that starts with the input's
// name; otherwise it says what was wrong. Crashes, overreads, undefined
// behaviour and runaway allocations are the sanitizers' and libFuzzer's to
// catch.
#pragma once
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>

#include "analysis/matrix_io.h"
#include "datasets/cifar10.h"
#include "datasets/idx.h"
#include "datasets/image_decode.h"
#include "datasets/image_folder.h"
#include "datasets/npy.h"
#include "engine/checkpoint.h"
#include "study/json_config.h"
#include "training/train_state_check.h"

namespace ml_fuzz {

// "" if f() returns or throws a one-line message starting "name: ".
template <class F>
std::string clean(const std::string& name, F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    const std::string m = e.what();
    if (m.rfind(name + ": ", 0) != 0) return "the message does not start with '" + name + ": ': " + m;
    if (m.find('\n') != std::string::npos) return "the message is not one line: " + m;
  }
  return "";
}

// read_idx takes a path (zlib's gz* interface decides plain or gzip and checks
// the trailer), so the bytes go to an anonymous in-memory file.
inline std::string check_idx(const std::string& bytes) {
  const int fd = memfd_create("fuzz-idx", 0);
  if (fd < 0) throw std::runtime_error("memfd_create failed");
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  std::string problem;
  if (write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) problem = "write to memfd failed";
  else problem = clean(path, [&] { ml::read_idx(path); });
  close(fd);
  return problem;
}

inline std::string check_cifar10(const std::string& bytes) {
  return clean("input", [&] {
    ml::Dataset d = ml::read_cifar10_batches({});
    ml::append_cifar10_batch(d, bytes, "input");
  });
}

inline std::string check_npy(const std::string& bytes) {
  ml::NpyArray a;
  std::string problem = clean("input", [&] { a = ml::parse_npy(bytes, "input"); });
  if (!problem.empty() || a.dtype.empty()) return problem;
  problem = clean("input", [&] { ml::matrix_from_npy(a, "input"); });
  if (problem.empty()) problem = clean("input", [&] { ml::labels_from_npy(a, "input"); });
  return problem;
}

inline std::string check_safetensors(const std::string& bytes) {
  return clean("input", [&] { ml::parse_safetensors(bytes, "input"); });
}

inline std::string check_image(const std::string& bytes) {
  return clean("input", [&] {
    ml::image_channels(bytes, "input");
    for (int channels : {1, 3}) {
      const ml::DecodedImage d = ml::decode_image(bytes, "input", channels);
      std::vector<float> planar(d.pixels.size());
      // interleaved, not planar: the values do not matter, the sizes do
      for (size_t i = 0; i < planar.size(); ++i) planar[i] = d.pixels[i] / 255.0f;
      ml::resize_image(planar, channels, d.h, d.w, 28, 28);
    }
  });
}

inline std::string check_json_config(const std::string& bytes) {
  std::string problem = clean("input", [&] { ml::parse_run_config(bytes, "input"); });
  if (problem.empty()) problem = clean("input", [&] { ml::parse_study_index(bytes, "input"); });
  return problem;
}

// The semantic checks of a training state (ml-train --resume) after its parser, against a fixed run.
inline std::string check_train_state(const std::string& bytes) {
  return clean("input", [&] {
    const ml::Checkpoint ck = ml::parse_safetensors(bytes, "input");
    ml::checked_train_state(ck, "input", ml::RunExtent{.epochs = 3, .batches_per_epoch = 4, .batch = 8,
                                                       .train_images = 30});
  });
}

// Target name -> check. fuzz_gz is the IDX reader seeded with gzip files.
inline const std::map<std::string, std::function<std::string(const std::string&)>>& checks() {
  static const std::map<std::string, std::function<std::string(const std::string&)>> m = {
      {"fuzz_idx", check_idx},
      {"fuzz_gz", check_idx},
      {"fuzz_cifar10", check_cifar10},
      {"fuzz_npy", check_npy},
      {"fuzz_safetensors", check_safetensors},
      {"fuzz_image", check_image},
      {"fuzz_json_config", check_json_config},
      {"fuzz_train_state", check_train_state},
  };
  return m;
}

}  // namespace ml_fuzz
