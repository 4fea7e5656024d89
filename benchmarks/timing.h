// Timing helpers shared by ml-bench's parts: warm-up, repeats, median and spread.
#pragma once
#include <algorithm>
#include <chrono>
#include <functional>
#include <vector>

namespace ml_bench {

struct Timing {
  double median_ms = 0, p10_ms = 0, p90_ms = 0;
  int repeats = 0;
};

// Runs f warmup times untimed, then repeats times, each timed on its own. sync
// (if given) runs inside every timed call, after f: on a GPU it waits for the work.
inline Timing time_it(const std::function<void()>& f, int warmup, int repeats,
                      const std::function<void()>& sync = nullptr) {
  for (int i = 0; i < warmup; ++i) f();
  if (sync) sync();
  std::vector<double> t;
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    f();
    if (sync) sync();
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(t.begin(), t.end());
  auto at = [&](double q) { return t[static_cast<size_t>(q * static_cast<double>(t.size() - 1) + 0.5)]; };
  return {at(0.5), at(0.1), at(0.9), repeats};
}

}  // namespace ml_bench
