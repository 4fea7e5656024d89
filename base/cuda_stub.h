// The one stub convention: an op's CUDA entry points have a twin,
// <op>_cuda_stub.cpp beside its .cu file, that a CPU-only build compiles
// instead (CMakeLists.txt picks one of the two). Each stub throws, so a CUDA
// path reached in such a build says so instead of computing nothing.
#pragma once
#include <stdexcept>
#include <string>

namespace ml {

[[noreturn]] inline void throw_built_without_cuda(const char* what) {
  throw std::runtime_error(std::string(what) + ": built without CUDA");
}

}  // namespace ml

#define ML_CUDA_STUB(ret, name, ...) \
  ret name(__VA_ARGS__) { ::ml::throw_built_without_cuda(#name); }
