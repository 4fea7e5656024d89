// Main for GPU tests: exit 77 (ctest's SKIP_RETURN_CODE) when no GPU can be used.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>

#include "engine/device.h"

int main(int argc, char* argv[]) {
  if (!ml::cuda_available()) {
    std::printf("no usable CUDA GPU (or a CPU-only build): skipped\n");
    return 77;
  }
  return Catch::Session().run(argc, argv);
}
