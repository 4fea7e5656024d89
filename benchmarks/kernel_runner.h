// One comparison of ml-bench kernels: run ours and the baseline once, check they
// wrote the same outputs, then time both. Shared by the CPU and GPU parts.
#pragma once
#include <algorithm>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "benchmarks/kernel_bench.h"

namespace ml_bench {

class KernelRunner {
 public:
  // sync (GPU: wait for the device) runs after each call that is checked or timed.
  KernelRunner(const KernelOptions& o, std::string device, std::function<void()> sync = nullptr)
      : o_(o), device_(std::move(device)), sync_(std::move(sync)) {}

  void add(const std::string& op, const std::string& shape, int batch, double flops, double bytes,
           const std::string& baseline_name, const std::function<void()>& ours, const std::function<void()>& baseline,
           const std::function<double()>& compare) {
    KernelRow row;
    row.op = op, row.shape = shape, row.device = device_, row.batch = batch;
    row.baseline = baseline_name, row.flops = flops, row.bytes = bytes;
    ours();
    baseline();
    if (sync_) sync_();
    row.max_diff = compare();
    if (!(row.max_diff <= 1e-3))
      throw std::runtime_error(op + " " + shape + ": ours and " + baseline_name + " disagree (max relative diff " +
                               std::to_string(row.max_diff) + ")");
    row.ours = time_it(ours, o_.warmup, o_.repeats, sync_);
    const bool slow = baseline_name == "loop";  // plain loops: fewer repeats
    row.base = time_it(baseline, slow ? std::min(o_.warmup, 1) : o_.warmup,
                       slow ? std::max(1, o_.loop_repeats) : o_.repeats, sync_);
    std::fprintf(stderr, "ml-bench: %-17s %-24s batch %4d  ours %8.4f ms  %s %8.4f ms\n", op.c_str(), shape.c_str(),
                 batch, row.ours.median_ms, baseline_name.c_str(), row.base.median_ms);
    rows.push_back(row);
  }

  std::vector<KernelRow> rows;

 private:
  const KernelOptions& o_;
  std::string device_;
  std::function<void()> sync_;
};

}  // namespace ml_bench
