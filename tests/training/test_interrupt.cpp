// SIGTERM / SIGINT: ml-train finishes the batch, saves its training state and
// exits non-zero with the exact command that resumes it, which then ends as an
// uninterrupted run would. --resume's errors. A diverging run names the epoch
// and batch and leaves the last good state loadable and finite.
#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>

#include "engine/checkpoint.h"
#include "ml_train_cli.h"
#include "synthetic_idx.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace {

std::string base_args(const std::string& data) {
  return "--data mnist --data-dir " + data +
         " --arch conv8k3-relu-maxpool2-flatten-fc32-relu-fc10 --epochs 3 --batch 32 --device cpu --no-progress"
         " --lr 0.05 --seed 4";
}

int lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

TEST_CASE("SIGTERM: the batch finishes, the state is saved, the resume command is printed and works", "[resume][signal]") {
  ml_test::TempDir dir("sigterm");
  const std::string base = base_args(ml_test::write_synthetic_idx(dir.file("data"), 1000, 200));
  auto [ref_code, ref_err] = ml_test::run_ml_train(base + " --out " + dir.file("ref"), dir.file("ref.err"));
  REQUIRE(ref_code == 0);

  for (int sig : {SIGTERM, SIGINT}) {
    const fs::path run = dir.path / ("run" + std::to_string(sig));
    const pid_t pid = ml_test::start_ml_train(base + " --out " + run.string(), dir.file("run.err"));
    REQUIRE(pid > 0);
    // config.json is written once the handlers are in place, just before training starts
    while (!fs::exists(run / "config.json")) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ::kill(pid, sig);
    const int status = ml_test::wait_for(pid);
    const std::string err = ml_test::slurp(dir.file("run.err"));
    INFO("signal " << sig << ", stderr:\n" << err);
    REQUIRE(WIFEXITED(status));  // it stopped by itself, not by the signal
    CHECK(WEXITSTATUS(status) == 128 + sig);
    const std::string marker = "resume with: ";
    const size_t at = err.find(marker);
    REQUIRE(at != std::string::npos);
    CHECK_THAT(err, Catch::Contains(sig == SIGTERM ? "SIGTERM after epoch" : "SIGINT after epoch"));
    const std::string command = err.substr(at + marker.size(), err.find('\n', at) - at - marker.size());
    CHECK(command == ml_test::ml_train_binary() + " --resume " + run.string());
    const auto [epoch, batch] = ml_test::saved_position(run);
    CHECK(epoch >= 1);

    REQUIRE(std::system((command + " 2> " + dir.file("resume.err")).c_str()) == 0);
    CHECK(ml_test::slurp(run / "model.safetensors") == ml_test::slurp(dir.path / "ref" / "model.safetensors"));
    CHECK(ml_test::learning_columns(run / "metrics.csv") == ml_test::learning_columns(dir.path / "ref" / "metrics.csv"));
    CHECK(ml_test::slurp(run / "alignment.csv") == ml_test::slurp(dir.path / "ref" / "alignment.csv"));
  }
}

TEST_CASE("--resume: a finished run has nothing to do; conflicting flags and bad directories are one-line errors",
          "[resume][errors]") {
  ml_test::TempDir dir("resume-errors");
  const std::string base = base_args(ml_test::write_synthetic_idx(dir.file("data"), 200, 50));
  auto [ref_code, ref_err] = ml_test::run_ml_train(base + " --out " + dir.file("ref"), dir.file("ref.err"));
  REQUIRE(ref_code == 0);
  const std::string ref = dir.file("ref");
  auto [done_code, done_err] = ml_test::run_ml_train("--resume " + ref + " --lr 0.050 --no-progress", dir.file("e"));
  INFO(done_err);
  CHECK(done_code == 0);
  CHECK_THAT(done_err, Catch::Contains("nothing to resume"));
  struct Case { std::string args, expect; };
  const std::vector<Case> cases = {
      {"--resume " + ref + " --lr 0.5", "--lr '0.5': conflicts"},
      {"--resume " + ref + " --rule fa", "--rule 'fa': conflicts"},
      {"--resume " + ref + " --out " + dir.file("elsewhere"), "--out"},
      {"--resume " + dir.file("nowhere"), "nowhere/config.json"},
  };
  for (const auto& k : cases) {
    auto [code, err] = ml_test::run_ml_train(k.args, dir.file("e"));
    INFO("ml-train " << k.args << "\nstderr: " << err);
    CHECK(code == 1);
    CHECK_THAT(err, Catch::Contains(k.expect));
    CHECK(lines(err) == 1);
  }
  // a run that never reached a checkpoint
  fs::create_directories(dir.path / "early");
  fs::copy_file(dir.path / "ref" / "config.json", dir.path / "early" / "config.json");
  auto [code, err] = ml_test::run_ml_train("--resume " + dir.file("early"), dir.file("e"));
  INFO(err);
  CHECK(code == 1);
  CHECK_THAT(err, Catch::Contains("no train_state.safetensors"));
}

TEST_CASE("--max-loss stops a run whose loss explodes before it overflows", "[resume][errors]") {
  ml_test::TempDir dir("max-loss");
  const std::string data = ml_test::write_synthetic_idx(dir.file("data"), 1000, 200);
  // the run of the test below, that overflows within its first epoch at lr 30
  const std::string args = base_args(data) + " --lr 30 --momentum 0 --max-loss 10 --out " + dir.file("run");
  auto [code, err] = ml_test::run_ml_train(args, dir.file("err"));
  INFO(err);
  REQUIRE(code == 1);
  CHECK(lines(err) == 1);
  CHECK_THAT(err, Catch::Contains(" above --max-loss 10 at epoch 1, batch "));
  double loss = 0;
  const size_t at = err.find("batch loss ");
  REQUIRE(at != std::string::npos);
  REQUIRE(std::sscanf(err.c_str() + at, "batch loss %lf", &loss) == 1);
  CHECK(loss > 10);
  CHECK(std::isfinite(loss));

  // a healthy run under a ceiling it never reaches finishes, and --resume may change the ceiling
  const std::string calm = base_args(data) + " --max-loss 100 --out " + dir.file("calm");
  auto [calm_code, calm_err] = ml_test::run_ml_train(calm, dir.file("calm.err"));
  INFO(calm_err);
  CHECK(calm_code == 0);
  auto [again_code, again_err] =
      ml_test::run_ml_train("--resume " + dir.file("calm") + " --max-loss 50", dir.file("again.err"));
  INFO(again_err);
  CHECK(again_code == 0);
  CHECK_THAT(again_err, Catch::Contains("nothing to resume"));
  const std::string bad = base_args(data) + " --max-loss -1 --out " + dir.file("bad");
  CHECK_THAT(ml_test::run_ml_train(bad, dir.file("bad.err")).second, Catch::Contains("--max-loss -1"));
}

TEST_CASE("divergence: the epoch and batch are named and the last good state stays loadable", "[resume][errors]") {
  ml_test::TempDir dir("diverge");
  const std::string data = ml_test::write_synthetic_idx(dir.file("data"), 1000, 200);
  const fs::path run = dir.path / "run";
  // plain SGD at lr 30 (found by trying; lower rates only stall) overflows within the first epoch, after a
  // few states were saved
  const std::string args = base_args(data) + " --lr 30 --momentum 0 --checkpoint-every 2 --out " + run.string();
  auto [code, err] = ml_test::run_ml_train(args, dir.file("err"));
  INFO(err);
  REQUIRE(code == 1);
  CHECK(lines(err) == 1);
  CHECK_THAT(err, Catch::Contains("became"));
  CHECK_THAT(err, Catch::Contains("at epoch "));
  CHECK_THAT(err, Catch::Contains(", batch "));
  CHECK_THAT(err, Catch::Contains("the last good training state (epoch "));
  // the state named is the one on disk, and it lies before the divergence
  const auto [epoch, batch] = ml_test::saved_position(run);
  CHECK_THAT(err, Catch::Contains("state (epoch " + std::to_string(epoch) + ", batch " + std::to_string(batch) + ")"));
  const size_t at = err.find(" at epoch ");
  REQUIRE(at != std::string::npos);
  int bad_epoch = 0, bad_batch = 0;
  REQUIRE(std::sscanf(err.c_str() + at, " at epoch %d, batch %d", &bad_epoch, &bad_batch) == 2);
  CHECK(std::make_pair(epoch, batch) < std::make_pair(bad_epoch, bad_batch));
  const ml::Checkpoint state = ml::load_safetensors((run / "train_state.safetensors").string());
  for (const auto& t : state.tensors) {
    const std::vector<float> v = t.tensor.to_vector();
    INFO(t.name);
    CHECK(std::all_of(v.begin(), v.end(), [](float x) { return std::isfinite(x); }));
  }
}
