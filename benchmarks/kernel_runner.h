// One comparison of ml-bench kernels: run ours and the baseline once, check they
// wrote the same outputs, then time both. Shared by the CPU and GPU parts.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <random>
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

  // A null baseline: none is timed (an empty baseline_name and base), and compare checks
  // ours some other way (GPU: against our CPU entry point).
  void add(const std::string& op, const std::string& shape, int batch, double flops, double bytes,
           const std::string& baseline_name, const std::function<void()>& ours, const std::function<void()>& baseline,
           const std::function<double()>& compare) {
    KernelRow row;
    row.op = op, row.shape = shape, row.device = device_, row.batch = batch;
    row.baseline = baseline_name, row.flops = flops, row.bytes = bytes;
    ours();
    if (baseline) baseline();
    if (sync_) sync_();
    row.max_diff = compare();
    const std::string against = baseline ? baseline_name : "the CPU";
    if (!(row.max_diff <= 1e-3))
      throw std::runtime_error(op + " " + shape + ": ours and " + against + " disagree (max relative diff " +
                               std::to_string(row.max_diff) + ")");
    row.ours = time_it(ours, o_.warmup, o_.repeats, sync_);
    if (baseline) {
      const bool slow = baseline_name == "loop";  // plain loops: fewer repeats
      row.base = time_it(baseline, slow ? std::min(o_.warmup, 1) : o_.warmup,
                         slow ? std::max(1, o_.loop_repeats) : o_.repeats, sync_);
      std::fprintf(stderr, "ml-bench: %-17s %-24s batch %4d  ours %8.4f ms  %s %8.4f ms\n", op.c_str(), shape.c_str(),
                   batch, row.ours.median_ms, baseline_name.c_str(), row.base.median_ms);
    } else {
      std::fprintf(stderr, "ml-bench: %-17s %-24s batch %4d  ours %8.4f ms  (no baseline)\n", op.c_str(),
                   shape.c_str(), batch, row.ours.median_ms);
    }
    rows.push_back(row);
  }

  std::vector<KernelRow> rows;

 private:
  const KernelOptions& o_;
  std::string device_;
  std::function<void()> sync_;
};

// The host buffers of one op-table row (kernel_bench.h): every buffer filled at random, the
// outputs too (some ops add to them) and twice over, the same values in each copy, so that ours
// writes `ours`'s outputs and the baseline `base`'s; both read the same inputs.
class HostOpBuffers {
 public:
  HostOpBuffers(const TableOp& t, int N, const OpDims& d) {
    OpArgs sizes;
    sizes.N = N, sizes.d = d;
    layout = t.layout(sizes);
    const size_t nf = layout.floats.size(), ni = layout.ints.size();
    first_float_out = nf - static_cast<size_t>(layout.float_outputs);
    first_int_out = ni - static_cast<size_t>(layout.int_outputs);
    unsigned seed = 101;
    for (size_t k = 0; k < nf; ++k) {
      f.push_back(uniform(layout.floats[k], seed++));
      if (k >= first_float_out) f_base.push_back(f.back());
    }
    for (size_t k = 0; k < ni; ++k) {
      std::mt19937 gen(seed++);
      std::uniform_int_distribution<int32_t> draw(0, std::max(1, layout.ints[k].second) - 1);
      i.emplace_back(layout.ints[k].first);
      for (auto& v : i.back()) v = draw(gen);
      if (k >= first_int_out) i_base.push_back(i.back());
    }
    ours = base = sizes;
    for (size_t k = 0; k < nf; ++k) {
      ours.f.push_back(f[k].data());
      base.f.push_back(k < first_float_out ? f[k].data() : f_base[k - first_float_out].data());
    }
    for (size_t k = 0; k < ni; ++k) {
      ours.i.push_back(i[k].data());
      base.i.push_back(k < first_int_out ? i[k].data() : i_base[k - first_int_out].data());
    }
  }
  HostOpBuffers(const HostOpBuffers&) = delete;
  HostOpBuffers& operator=(const HostOpBuffers&) = delete;

  // ours's outputs against the baseline's.
  double max_diff() const {
    return outputs_diff({f.begin() + first_float_out, f.end()}, f_base, {i.begin() + first_int_out, i.end()}, i_base);
  }
  // Outputs against reference outputs, in order: max_relative_diff over the floats, 1 where ints differ.
  static double outputs_diff(const std::vector<std::vector<float>>& floats,
                             const std::vector<std::vector<float>>& ref_floats,
                             const std::vector<std::vector<int32_t>>& ints,
                             const std::vector<std::vector<int32_t>>& ref_ints) {
    if (floats.size() != ref_floats.size() || ints.size() != ref_ints.size()) return INFINITY;
    double worst = 0;
    for (size_t k = 0; k < floats.size(); ++k) worst = std::max(worst, max_relative_diff(floats[k], ref_floats[k]));
    for (size_t k = 0; k < ints.size(); ++k) worst = std::max(worst, ints[k] == ref_ints[k] ? 0.0 : 1.0);
    return worst;
  }

  OpLayout layout;
  std::vector<std::vector<float>> f, f_base;  // f_base: second copies of the float outputs
  std::vector<std::vector<int32_t>> i, i_base;
  size_t first_float_out = 0, first_int_out = 0;
  OpArgs ours, base;

 private:
  static std::vector<float> uniform(size_t n, unsigned seed) {
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> d(-1, 1);
    std::vector<float> v(n);
    for (auto& x : v) x = d(gen);
    return v;
  }
};

}  // namespace ml_bench
