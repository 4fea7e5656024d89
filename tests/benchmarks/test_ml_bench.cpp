// ml-bench in its tiny mode, so that it cannot rot: no timing is asserted, but
// every op must agree with its independent baseline (a plain loop or the obvious
// Eigen code), and the training loop must not allocate after its warm-up.
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <set>

#include <catch2/catch.hpp>

#include "benchmarks/kernel_bench.h"
#include "benchmarks/train_bench.h"
#include "test_util.h"

using Catch::Matchers::Contains;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

int run_bench(const std::string& args, const ml_test::TempDir& dir) {
  const char* bin = std::getenv("ML_BINARY_DIR");
  const std::string exe = std::string(bin ? bin : "..") + "/ml-bench";
  REQUIRE(std::filesystem::exists(exe));
  const int status =
      std::system((exe + " " + args + " > " + dir.file("out.txt") + " 2> " + dir.file("err.txt")).c_str());
  return WEXITSTATUS(status);
}

}  // namespace

TEST_CASE("ml-bench kernels: every CPU op agrees with its baseline (tiny shapes)", "[bench]") {
  ml_bench::KernelOptions o;
  o.shapes = "tiny";
  o.batches = {3};
  o.warmup = 0, o.repeats = 1, o.loop_repeats = 1;
  const auto rows = ml_bench::run_cpu_kernels(o);
  std::set<std::string> ops;
  for (const auto& r : rows) {
    INFO(r.op << " " << r.shape);
    ops.insert(r.op);
    CHECK(r.max_diff <= 1e-5);
    CHECK(r.ours.median_ms >= 0);
    CHECK(r.base.median_ms >= 0);
    CHECK((r.baseline == "eigen" || r.baseline == "loop"));
  }
  CHECK(ops.size() == ml_bench::kernel_op_names().size());  // every op has a row

  o.ops = {"conv-fwd", "nope"};
  CHECK_THAT(ml_test::error_of<std::invalid_argument>([&] { ml_bench::run_cpu_kernels(o); }), Contains("--op 'nope'"));
  o.ops = {};
  o.shapes = "huge";
  CHECK_THAT(ml_test::error_of<std::invalid_argument>([&] { ml_bench::run_cpu_kernels(o); }),
             Contains("--shapes 'huge'"));
}

TEST_CASE("ml-bench train: throughput, phases, and no allocation after the warm-up", "[bench]") {
  for (const std::string rule : {"bp", "fa", "kolen-pollack"}) {
    ml_bench::TrainBenchOptions o;
    o.rule = rule;
    o.data = "synthetic";
    o.batch = 8, o.batches = 3, o.warmup = 2;
    const auto r = ml_bench::run_train_bench(o);
    INFO(rule);
    CHECK(r.samples_per_s > 0);
    CHECK(r.forward_ms > 0);
    CHECK(r.step_ms > 0);
    CHECK(std::isfinite(r.update_ms));
    CHECK(r.update_noise_ms >= 0);
    CHECK(r.allocations_per_batch == 0);
    CHECK(r.host_reads_per_batch == 2);  // the loss's two copies back
    CHECK(r.host_read_kib_per_batch == Approx((8 * 10 + 8) * 4 / 1024.0));  // 8 x 10 log-probabilities, 8 losses
    CHECK(r.host_writes_per_batch == 1);  // the gather's indices up
    CHECK(r.host_peak_rss_mib > 0);
  }
}

TEST_CASE("ml-bench command line: CSV columns, help, errors", "[bench]") {
  ml_test::TempDir dir("ml-bench");
  REQUIRE(
      run_bench("kernels --shapes tiny --batch 2 --repeats 1 --warmup 0 --op relu-fwd,sgd --csv " + dir.file("k.csv"),
                dir) == 0);
  const std::string csv = slurp(dir.file("k.csv"));
  CHECK(csv.rfind("op,shape,batch,device,ours_ms,ours_p10_ms,ours_p90_ms,baseline,baseline_ms,", 0) == 0);
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 3);  // header + relu-fwd + sgd
#ifdef ML_GEMM_OPENBLAS
  // the run path must have picked OpenBLAS's OpenMP build: the pthread one oversubscribes the cores
  CHECK_THAT(slurp(dir.file("out.txt")),
             Contains("CPU GEMM: OpenBLAS") && Contains("(EIGEN_USE_BLAS; OpenBLAS OpenMP build)"));
#else
  CHECK_THAT(slurp(dir.file("out.txt")), Contains("CPU GEMM: Eigen"));
#endif

  REQUIRE(run_bench("train --data synthetic --batch 4 --batches 2 --warmup 1 --csv " + dir.file("t.csv"), dir) == 0);
  CHECK(slurp(dir.file("t.csv")).rfind("rule,arch,device,batch,threads,samples_per_s,data_ms,forward_ms,backward_ms,"
                                       "update_ms,update_noise_ms,step_ms,", 0) == 0);
  CHECK_THAT(slurp(dir.file("out.txt")), Contains("samples/s"));

  CHECK(run_bench("kernels --help", dir) == 0);
  CHECK(run_bench("train --help", dir) == 0);
  CHECK(run_bench("kernels --device tpu", dir) == 1);
  CHECK_THAT(slurp(dir.file("err.txt")), Contains("--device 'tpu'"));
  CHECK(run_bench("frobnicate", dir) == 2);
}
