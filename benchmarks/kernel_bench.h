// ml-bench kernels: every op of the engine, ours against the baseline on the
// same device in the same run, after checking both give the same outputs.
#pragma once
#include <string>
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
  std::string baseline;  // "eigen", "loop", "cudnn", "cublas"
  Timing base;
  double flops = 0, bytes = 0;  // per call: useful work and the minimum memory traffic
  double max_diff = 0;          // largest |ours - baseline| / (1 + |baseline|) over the outputs
};

const std::vector<std::string>& kernel_op_names();

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
