#include "benchmarks/train_bench.h"

#include <omp.h>
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "datasets/dataset.h"
#include "base/cpu_flags.h"
#include "base/cuda_memory.h"
#include "engine/host_transfers.h"
#include "training/device_data.h"
#include "engine/network.h"
#include "base/rng.h"

namespace ml_bench {
namespace {

using Clock = std::chrono::steady_clock;

ml::Dataset synthetic(int samples, uint64_t seed) {
  ml::Dataset d;
  d.name = "synthetic";
  d.C = 1, d.H = d.W = 28, d.num_classes = 10;
  for (int c = 0; c < 10; ++c) d.class_names.push_back(std::to_string(c));
  ml::Rng rng(seed);
  d.images.resize(static_cast<size_t>(samples) * 28 * 28);
  for (auto& x : d.images) x = rng.uniform();
  d.labels.resize(samples);
  for (int i = 0; i < samples; ++i) d.labels[i] = i % 10;
  return d;
}

}  // namespace

TrainBenchResult run_train_bench(const TrainBenchOptions& o) {
  if (o.batch < 1) throw std::invalid_argument("--batch " + std::to_string(o.batch) + ": must be >= 1");
  if (o.batches < 1) throw std::invalid_argument("--batches " + std::to_string(o.batches) + ": must be >= 1");
  if (o.warmup < 1) throw std::invalid_argument("--warmup " + std::to_string(o.warmup) + ": must be >= 1");
  ml::flush_denormals_to_zero();
  const ml::Device device = ml::parse_device(o.device);
  ml::Dataset train;
  if (o.data == "synthetic") {
    train = synthetic(o.batch * std::min(o.batches + o.warmup, 64), o.seed);
  } else {
    train = ml::load_dataset(o.data, o.data_dir).train;
  }
  ml::normalize(train, ml::channel_stats(train));
  if (train.size() < o.batch)
    throw std::invalid_argument("--batch " + std::to_string(o.batch) + ": the data set has only " +
                                std::to_string(train.size()) + " samples");

  ml::Network net(o.arch, {train.C, train.H, train.W}, o.seed, device);
  auto rule = ml::make_rule(o.rule, o.rule_flags);
  auto optimizer = ml::make_optimizer(o.optimizer);
  rule->attach(net, o.seed);
  ml::DeviceData data(train, device);
  std::vector<int32_t> order(train.size());
  std::iota(order.begin(), order.end(), 0);
  const int in_data = train.size() / o.batch;
  ml::Batch batch;
  auto gather = [&](int b) { data.gather(batch, order, (b % in_data) * o.batch, o.batch); };
  auto sync = [&] {
    if (device == ml::Device::CUDA) ml::cuda_synchronize();
  };

  for (int b = 0; b < o.warmup; ++b) {
    gather(b);
    rule->train_step(net, batch, *optimizer);
  }
  sync();

  TrainBenchResult r;
  r.threads = device == ml::Device::CPU ? omp_get_max_threads() : 0;
  // Throughput: the training loop as ml-train runs it (gather + train_step), one sync at the end.
  const uint64_t allocations_before = ml::tensor_memory_stats(device).allocations;
  const ml::HostTransfers transfers_before = ml::host_transfers();
  const auto start = Clock::now();
  for (int b = 0; b < o.batches; ++b) {
    gather(b);
    rule->train_step(net, batch, *optimizer);
  }
  sync();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.allocations_per_batch =
      static_cast<double>(ml::tensor_memory_stats(device).allocations - allocations_before) / o.batches;
  const ml::HostTransfers transfers = ml::host_transfers();
  r.host_reads_per_batch = static_cast<double>(transfers.reads - transfers_before.reads) / o.batches;
  r.host_read_kib_per_batch = static_cast<double>(transfers.read_bytes - transfers_before.read_bytes) / 1024.0 / o.batches;
  r.host_writes_per_batch = static_cast<double>(transfers.writes - transfers_before.writes) / o.batches;
  r.samples_per_s = static_cast<double>(o.batches) * o.batch / seconds;

  // The phases, each timed on its own with a sync around it, all three on the same batch one after
  // the other, so drift (other load, clock changes) hits them alike. backward and update are
  // differences of these times; update's noise is twice the standard error of its per-batch
  // difference, which tells a small update from timing noise (pc updates inside its backward).
  double data_total = 0, forward_total = 0, gradients_total = 0, step_total = 0;
  std::vector<double> update_each(o.batches);
  auto timed_ms = [&](const std::function<void()>& f) {
    sync();
    const auto t = Clock::now();
    f();
    sync();
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
  };
  for (int b = 0; b < o.batches; ++b) {
    data_total += timed_ms([&] { gather(b); });
    forward_total += timed_ms([&] { net.forward(batch.x); });
    const double gradients = timed_ms([&] { rule->compute_gradients(net, batch); });
    const double step = timed_ms([&] { rule->train_step(net, batch, *optimizer); });
    gradients_total += gradients, step_total += step;
    update_each[b] = step - gradients;
  }
  r.data_ms = data_total / o.batches;
  r.forward_ms = forward_total / o.batches;
  r.step_ms = step_total / o.batches;
  r.backward_ms = gradients_total / o.batches - r.forward_ms;
  r.update_ms = r.step_ms - gradients_total / o.batches;
  double squares = 0;
  for (double u : update_each) squares += (u - r.update_ms) * (u - r.update_ms);
  r.update_noise_ms = o.batches > 1 ? 2.0 * std::sqrt(squares / (o.batches - 1) / o.batches) : 0.0;

  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  r.host_peak_rss_mib = usage.ru_maxrss / 1024.0;
  r.tensor_peak_mib = static_cast<double>(ml::tensor_memory_stats(device).peak_bytes) / (1024.0 * 1024.0);
  return r;
}

}  // namespace ml_bench
