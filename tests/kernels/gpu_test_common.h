// The headers and names shared by the CUDA-vs-CPU kernel tests (tests/kernels/gpu_test_*.cpp):
// device tensors, the seeded random fill, the tolerant comparison, and the GEMM tolerance.
#pragma once
#include "engine/tensor.h"
#include "engine_test_util.h"
#include "test_util.h"

using ml::Device;
using ml::Tensor;
using ml_test::atol_for;
using ml_test::gpu_zeros;
using ml_test::on_gpu;
using ml_test::random_vector;
using ml_test::require_close;
