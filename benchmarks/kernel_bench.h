// ml-bench kernels: every op of the engine, ours against the baseline on the
// same device in the same run, after checking both give the same outputs.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "benchmarks/timing.h"

namespace ml_bench {

struct KernelOptions {
  std::string device = "cpu";    // cpu | cuda
  std::vector<std::string> ops;  // empty: all
  std::string shapes = "lenet";  // lenet | sweep | tiny
  std::vector<int> batches = {64, 256};
  int warmup = 3, repeats = 20;
  int loop_repeats = 3;  // plain loops are slow: fewer repeats
};

struct KernelRow {
  std::string op, shape, device;
  int batch = 0;
  Timing ours;
  std::string baseline;  // "eigen", "loop", "cudnn", "cublas"; "" for none (then `base` is empty
  Timing base;           // and max_diff compares ours with our CPU entry point)
  double flops = 0, bytes = 0;  // per call: useful work and the minimum memory traffic
  double max_diff = 0;          // largest |ours - baseline| / (1 + |baseline|) over the outputs
};

// Every op's name for --op: the ones written out in kernel_bench_cpu.cpp, then op_table()'s.
const std::vector<std::string>& kernel_op_names();

// ---- the op table --------------------------------------------------------------------------
// One row per entry point (conv, linear, maxpool, ReLU, the loss and SGD predate it and stay
// written out as blocks in kernel_bench_cpu.cpp and kernel_bench_gpu.cpp; their rows come
// first in the output): how big its buffers are for a shape and a batch, our CPU and CUDA
// calls and the CPU baseline (a plain loop or Eigen), each called on buffers of that layout
// (host pointers for the CPU calls, device pointers for CUDA). The GPU side adds a cuDNN or
// cuBLAS call where one exists (kernel_bench_gpu.cpp) and otherwise checks ours against the
// CPU call with no baseline timed. Adding an op = one row of op_table().

struct OpDims {
  std::string label;        // the shape column
  int C = 1, H = 1, W = 1;  // per sample; a weight (unbatched row) is C x (H*W)
  int extra = 0;            // what the op needs beyond that: copies (perturb), source rows (gather)
};

// What every call of a row gets: the buffers in the row's layout order, and the sizes.
struct OpArgs {
  std::vector<float*> f;
  std::vector<int32_t*> i;
  int N = 1;  // 1 for an unbatched row
  OpDims d;
  int HW() const { return d.H * d.W; }
  size_t n() const { return static_cast<size_t>(N) * d.C * d.H * d.W; }  // elements of [N, C, H, W]
};

struct OpLayout {
  std::vector<size_t> floats;  // float buffers: the inputs, then the `float_outputs` written
  int float_outputs = 1;
  std::vector<std::pair<size_t, int>> ints = {};  // int32 buffers (size, values drawn in [0, range)), same order
  int int_outputs = 0;
  double flops = 0, bytes = 0;  // per call, as KernelRow
};

struct OpShapes {
  std::vector<OpDims> lenet, sweep, tiny;  // per --shapes set
};

struct TableOp {
  std::string op;  // its --op name
  OpShapes shapes;
  bool batched;          // false: a weight op, run once (empty batch column)
  std::string baseline;  // the CPU baseline: "loop" or "eigen"
  std::function<OpLayout(const OpArgs&)> layout;  // from N and d only (the pointers are not set yet)
  std::function<void(const OpArgs&)> cpu, cuda, cpu_baseline;
};

// The scalar arguments the table's calls pass (a GPU baseline passes the same).
struct OpScalars {
  static constexpr float axpby_a = 0.5f, axpby_b = -0.25f;  // |b| < 1: repeated calls stay bounded
  static constexpr float sigma = 0.1f;
  static constexpr uint64_t seed = 20261123;
};

const std::vector<TableOp>& op_table();
// The row's shapes for --shapes lenet, sweep or tiny; throws std::invalid_argument otherwise.
const std::vector<OpDims>& op_shapes(const TableOp& op, const std::string& shapes);

// Throws std::invalid_argument naming an unknown op or shape set, and
// std::runtime_error when ours and the baseline disagree beyond 1e-3.
std::vector<KernelRow> run_cpu_kernels(const KernelOptions& options);
// cuDNN / cuBLAS baselines; in a build without CUDA it throws.
std::vector<KernelRow> run_gpu_kernels(const KernelOptions& options);

// The GPU's peak FP32 GFLOP/s and memory GB/s from its properties; false without CUDA.
bool gpu_peaks(double& gflops, double& gbs);

bool wants(const KernelOptions& options, const std::string& op);
// Relative difference used to accept a comparison (see KernelRow::max_diff).
double max_relative_diff(const std::vector<float>& ours, const std::vector<float>& baseline);

}  // namespace ml_bench
