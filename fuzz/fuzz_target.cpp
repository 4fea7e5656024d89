// The libFuzzer entry point; CMake compiles it once per reader with
// ML_FUZZ_TARGET naming the check in fuzz/harness.h.
#include <cstdio>
#include <cstdlib>

#include "fuzz/harness.h"

#ifndef ML_FUZZ_TARGET
#error "define ML_FUZZ_TARGET, e.g. \"fuzz_idx\""
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto& check = ml_fuzz::checks().at(ML_FUZZ_TARGET);
  const std::string problem = check(std::string(reinterpret_cast<const char*>(data), size));
  if (!problem.empty()) {
    std::fprintf(stderr, "%s: %s\n", ML_FUZZ_TARGET, problem.c_str());
    std::abort();  // libFuzzer saves the input as a crash
  }
  return 0;
}
