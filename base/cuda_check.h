// CUDA error checking that throws, so tests and apps can report the failure
// with file, line, the failing expression and CUDA's message.
#pragma once
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#define CUDA_CHECK(expr)                                                                      \
  do {                                                                                        \
    cudaError_t ml_err_ = (expr);                                                             \
    if (ml_err_ != cudaSuccess) {                                                             \
      throw std::runtime_error(std::string(__FILE__) + ":" + std::to_string(__LINE__) + ": " + \
                               #expr + ": " + cudaGetErrorString(ml_err_));                   \
    }                                                                                         \
  } while (0)

// After a kernel launch: catches bad launch configurations at once.
#define CUDA_CHECK_LAUNCH() CUDA_CHECK(cudaGetLastError())
