// ml-bench: how fast the engine is, against the baselines on the same machine.
//   ml-bench kernels [--device cpu|cuda] [--op OP,...] [--shapes lenet|sweep|tiny] [--csv FILE]
//   ml-bench train --rule R --batch B --device D [--data synthetic] [--csv FILE]
#include <omp.h>

#include <cmath>
#include <cstdio>
#include <exception>
#include <sstream>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <cxxopts.hpp>

#include "benchmarks/kernel_bench.h"
#include "benchmarks/train_bench.h"
#include "base/atomic_file.h"
#include "base/cuda_memory.h"
#include "base/flags.h"
#include "engine/device.h"

namespace {

std::vector<int> parse_batches(const std::string& s) {
  std::vector<int> out;
  for (const auto& item : ml::split_list(s)) {
    size_t used = 0;
    int value = 0;
    try {
      value = std::stoi(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size() || value < 1) throw std::invalid_argument("--batch '" + s + "': expected e.g. 64,256");
    out.push_back(value);
  }
  if (out.empty()) throw std::invalid_argument("--batch '" + s + "': expected e.g. 64,256");
  return out;
}

#ifdef ML_GEMM_OPENBLAS
extern "C" {
char* openblas_get_config(void);
int openblas_get_parallel(void);  // 0: sequential, 1: pthreads, 2: OpenMP
}
#endif

// What the CPU side computes with: a comparison against a reference BLAS is void.
std::string cpu_gemm_line() {
  const std::string eigen = "Eigen " + std::to_string(EIGEN_WORLD_VERSION) + "." +
                            std::to_string(EIGEN_MAJOR_VERSION) + "." + std::to_string(EIGEN_MINOR_VERSION);
  const std::string threads = std::to_string(omp_get_max_threads()) + " OpenMP threads";
#ifdef ML_GEMM_OPENBLAS
  const int parallel = openblas_get_parallel();
  return std::string("CPU GEMM: ") + openblas_get_config() + " behind " + eigen + " (EIGEN_USE_BLAS; OpenBLAS " +
         (parallel == 2 ? "OpenMP" : parallel == 1 ? "pthreads: it oversubscribes our OpenMP loops" : "sequential") +
         " build), " + threads;
#else
  return "CPU GEMM: " + eigen + " own kernels (" + Eigen::SimdInstructionSetsInUse() + "), " + threads;
#endif
}

std::string number(double v, int precision = 4) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", precision, v);
  return buf;
}

int kernels(int argc, char** argv) {
  ml_bench::KernelOptions o;
  std::string ops, batches = "64,256", csv;
  double peak_gflops = 0, peak_gbs = 0;
  std::string op_list;
  for (const auto& n : ml_bench::kernel_op_names()) op_list += (op_list.empty() ? "" : ", ") + n;
  cxxopts::Options options(
      "ml-bench kernels",
      "Times every op of the engine against the baseline on the same device in the same run\n"
      "(CPU: Eigen or a plain loop; GPU: cuDNN or cuBLAS where one does the op, else no baseline\n"
      "and ours is checked against our CPU code), after checking both compute the same.\n"
      "Prints a table; --csv writes one row per op and shape.");
  // clang-format off
  options.add_options()
    ("device", "cpu or cuda", cxxopts::value(o.device)->default_value(o.device))
    ("op", "comma-separated ops (default: all): " + op_list, cxxopts::value(ops))
    ("shapes", "lenet (the seed LeNet's layers), sweep (a range of sizes) or tiny (for tests)",
       cxxopts::value(o.shapes)->default_value(o.shapes))
    ("batch", "comma-separated batch sizes", cxxopts::value(batches)->default_value(batches))
    ("warmup", "untimed calls before timing", cxxopts::value(o.warmup)->default_value("3"))
    ("repeats", "timed calls per op (the median and the 10th/90th percentiles are reported)",
       cxxopts::value(o.repeats)->default_value("20"))
    ("peak-gflops", "the device's peak FP32 GFLOP/s for the fraction-of-peak columns (GPU default: from its "
                    "properties; CPU: not known unless given)", cxxopts::value(peak_gflops)->default_value("0"))
    ("peak-gbs", "the device's peak memory bandwidth, GB/s (as --peak-gflops)",
       cxxopts::value(peak_gbs)->default_value("0"))
    ("csv", "write the results to this CSV file", cxxopts::value(csv))
    ("h,help", "this help");
  // clang-format on
  auto args = options.parse(argc, argv);
  if (args.count("help")) {
    std::printf("%s\n", options.help().c_str());
    return 0;
  }
  if (o.device != "cpu" && o.device != "cuda")
    throw std::invalid_argument("--device '" + o.device + "': expected cpu or cuda");
  if (o.warmup < 0 || o.repeats < 1) throw std::invalid_argument("--warmup must be >= 0 and --repeats >= 1");
  o.ops = ml::split_list(ops);
  o.batches = parse_batches(batches);
  o.loop_repeats = std::min(o.repeats, 3);
  if (o.device == "cuda") {
    ml::parse_device("cuda");  // a clear error when no GPU can be used
    double g = 0, b = 0;
    if (ml_bench::gpu_peaks(g, b)) {
      if (peak_gflops == 0) peak_gflops = g;
      if (peak_gbs == 0) peak_gbs = b;
    }
    std::printf("device: %s\n", ml::cuda_device_description().c_str());
  } else {
    std::printf("%s\n", cpu_gemm_line().c_str());
  }
  const auto rows = o.device == "cuda" ? ml_bench::run_gpu_kernels(o) : ml_bench::run_cpu_kernels(o);

  std::string table =
      "| op | shape | batch | ours ms (p10-p90) | baseline | baseline ms | ratio | GFLOP/s | GB/s |"
      " % FP32 peak | % bandwidth |\n|---|---|---|---|---|---|---|---|---|---|---|\n";
  std::string out =
      "op,shape,batch,device,ours_ms,ours_p10_ms,ours_p90_ms,baseline,baseline_ms,baseline_p10_ms,"
      "baseline_p90_ms,ratio,gflops,gbs,peak_flops_frac,peak_bw_frac,max_rel_diff\n";
  for (const auto& r : rows) {
    const double seconds = r.ours.median_ms / 1e3;
    const double gflops = r.flops / seconds / 1e9, gbs = r.bytes / seconds / 1e9;
    const bool has_base = !r.baseline.empty();  // a GPU op without a library baseline: those columns empty
    const double ratio = r.base.median_ms / r.ours.median_ms;  // > 1: ours is faster
    // fractions of the peaks in the CSV, percentages in the table; empty where the peak is unknown
    const bool has_flops_peak = peak_gflops > 0 && r.flops > 0, has_bw_peak = peak_gbs > 0;
    const std::string flops_frac = has_flops_peak ? number(gflops / peak_gflops, 3) : "";
    const std::string bw_frac = has_bw_peak ? number(gbs / peak_gbs, 3) : "";
    const std::string flops_pct = has_flops_peak ? number(100.0 * gflops / peak_gflops, 3) : "";
    const std::string bw_pct = has_bw_peak ? number(100.0 * gbs / peak_gbs, 3) : "";
    const std::string batch = r.batch > 0 ? std::to_string(r.batch) : "";
    auto base = [&](double v, int precision) { return has_base ? number(v, precision) : std::string(); };
    table += "| " + r.op + " | " + r.shape + " | " + batch + " | " + number(r.ours.median_ms) + " (" +
             number(r.ours.p10_ms, 3) + "-" + number(r.ours.p90_ms, 3) + ") | " + r.baseline + " | " +
             base(r.base.median_ms, 4) + " | " + base(ratio, 3) + " | " + (r.flops > 0 ? number(gflops) : "") + " | " +
             number(gbs) + " | " + flops_pct + " | " + bw_pct + " |\n";
    out += r.op + ",\"" + r.shape + "\"," + batch + "," + r.device + "," + number(r.ours.median_ms, 6) + "," +
           number(r.ours.p10_ms, 6) + "," + number(r.ours.p90_ms, 6) + "," + r.baseline + "," +
           base(r.base.median_ms, 6) + "," + base(r.base.p10_ms, 6) + "," + base(r.base.p90_ms, 6) + "," +
           base(ratio, 4) + "," + (r.flops > 0 ? number(gflops, 5) : "") + "," + number(gbs, 5) + "," + flops_frac +
           "," + bw_frac + "," + number(r.max_diff, 3) + "\n";
  }
  std::printf(
      "ratio = baseline ms / ours ms (above 1: ours is faster); %% FP32 peak and %% bandwidth: of the device's "
      "peaks (--peak-gflops, --peak-gbs)\n%s",
      table.c_str());
  if (!csv.empty()) ml::write_text_atomically(csv, out);
  return 0;
}

int train(int argc, char** argv) {
  ml_bench::TrainBenchOptions o;
  std::string csv;
  cxxopts::Options options(
      "ml-bench train",
      "End-to-end training throughput of one learning rule (samples/s, as ml-train's loop runs),\n"
      "the time of each phase of a batch, peak memory, and Tensor allocations per batch after\n"
      "the warm-up (0 when the batch loop allocates nothing). Rule hyperparameters: their defaults.");
  // clang-format off
  options.add_options()
    ("rule", "learning rule (as ml-train --rule)", cxxopts::value(o.rule)->default_value(o.rule))
    ("arch", "network (as ml-train --arch)", cxxopts::value(o.arch)->default_value(o.arch))
    ("data", "fashion-mnist, mnist, cifar10 or synthetic (random images, no files)",
       cxxopts::value(o.data)->default_value(o.data))
    ("data-dir", "the data set's directory (as ml-train --data-dir)", cxxopts::value(o.data_dir))
    ("device", "cpu, cuda or auto", cxxopts::value(o.device)->default_value(o.device))
    ("batch", "minibatch size", cxxopts::value(o.batch)->default_value("64"))
    ("batches", "timed batches per measurement", cxxopts::value(o.batches)->default_value("100"))
    ("warmup", "untimed training batches first", cxxopts::value(o.warmup)->default_value("5"))
    ("optimizer", "sgd or adam", cxxopts::value(o.optimizer.name)->default_value("sgd"))
    ("lr", "learning rate", cxxopts::value(o.optimizer.lr)->default_value("0.01"))
    ("momentum", "SGD momentum", cxxopts::value(o.optimizer.momentum)->default_value("0.9"))
    ("seed", "seed", cxxopts::value(o.seed)->default_value("1"))
    ("csv", "write the result as a one-row CSV file", cxxopts::value(csv))
    ("h,help", "this help");
  // clang-format on
  auto args = options.parse(argc, argv);
  if (args.count("help")) {
    std::printf("%s\n", options.help().c_str());
    return 0;
  }
  const ml_bench::TrainBenchResult r = ml_bench::run_train_bench(o);
  const bool gpu = ml::parse_device(o.device) == ml::Device::CUDA;
  std::printf("%s\n", gpu ? ("device: " + ml::cuda_device_description()).c_str() : cpu_gemm_line().c_str());
  std::printf("rule %s, arch %s, batch %d, %s: %.0f samples/s\n", o.rule.c_str(), o.arch.c_str(), o.batch,
              gpu ? "cuda" : "cpu", r.samples_per_s);
  std::printf("per batch: data %.3f ms, forward %.3f ms, backward %.3f ms, update %.3f +- %.3f ms%s, "
              "train_step %.3f ms\n",
              r.data_ms, r.forward_ms, r.backward_ms, r.update_ms, r.update_noise_ms,
              std::abs(r.update_ms) <= r.update_noise_ms ? " (within timing noise)" : "", r.step_ms);
  std::printf("memory: host peak RSS %.1f MiB, tensors peak %.1f MiB on the %s, %.2f Tensor allocations per batch\n",
              r.host_peak_rss_mib, r.tensor_peak_mib, gpu ? "GPU" : "CPU", r.allocations_per_batch);
  std::printf("host transfers per batch (gather included): %.2f reads (%.1f KiB), %.2f writes\n",
              r.host_reads_per_batch, r.host_read_kib_per_batch, r.host_writes_per_batch);
  if (!csv.empty())
    ml::write_text_atomically(
        csv,
        "rule,arch,device,batch,threads,samples_per_s,data_ms,forward_ms,backward_ms,update_ms,update_noise_ms,"
        "step_ms,host_peak_rss_mib,tensor_peak_mib,allocations_per_batch,host_reads_per_batch,host_read_kib_per_batch,"
        "host_writes_per_batch\n" +
            o.rule + "," + o.arch + "," + (gpu ? "cuda" : "cpu") + "," + std::to_string(o.batch) + "," +
            std::to_string(r.threads) + "," + number(r.samples_per_s, 6) + "," + number(r.data_ms, 6) + "," +
            number(r.forward_ms, 6) + "," + number(r.backward_ms, 6) + "," + number(r.update_ms, 6) + "," +
            number(r.update_noise_ms, 6) + "," + number(r.step_ms, 6) + "," + number(r.host_peak_rss_mib, 6) + "," +
            number(r.tensor_peak_mib, 6) + "," +
            number(r.allocations_per_batch, 4) + "," + number(r.host_reads_per_batch, 6) + "," +
            number(r.host_read_kib_per_batch, 6) + "," + number(r.host_writes_per_batch, 6) + "\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string usage =
      "usage: ml-bench kernels [--device cpu|cuda] [--op OP,...] [--shapes lenet|sweep|tiny] [--csv FILE]\n"
      "       ml-bench train --rule R --batch B --device D [--data synthetic] [--csv FILE]\n"
      "       ml-bench SUBCOMMAND --help\n";
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::printf("%s", usage.c_str());
    return argc < 2 ? 2 : 0;
  }
  const std::string sub = argv[1];
  try {
    if (sub == "kernels") return kernels(argc - 1, argv + 1);
    if (sub == "train") return train(argc - 1, argv + 1);
    std::fprintf(stderr, "ml-bench: unknown subcommand '%s'\n%s", sub.c_str(), usage.c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ml-bench %s: %s\n", sub.c_str(), e.what());
    return 1;
  }
}
