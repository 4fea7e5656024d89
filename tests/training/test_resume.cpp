// ml-train --resume: a run killed with SIGKILL at some batch in the middle
// (wherever the kill lands, possibly while a checkpoint is being written)
// and resumed ends with the same bytes as a run never interrupted: weights
// (model.safetensors), metrics.csv (its learning columns) and alignment.csv.
#include <csignal>
#include <filesystem>

#include "ml_train_cli.h"
#include "synthetic_idx.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace {

struct Variant {
  std::string name, args;
  int kill_epoch, kill_batch;  // kill once the saved state has reached this point
};

void check_resume_is_exact(const Variant& v) {
  ml_test::TempDir dir("resume-" + v.name);
  const std::string data = ml_test::write_synthetic_idx(dir.file("data"), 1000, 200);
  const std::string base = "--data mnist --data-dir " + data +
                           " --arch conv8k3-relu-maxpool2-flatten-fc32-relu-fc10 --epochs 3 --batch 32 --device cpu"
                           " --no-progress --lr 0.05 --seed 3 --align-every 7 " + v.args;
  INFO(v.name << ": ml-train " << base);

  auto [ref_code, ref_err] = ml_test::run_ml_train(base + " --out " + dir.file("ref"), dir.file("ref.err"));
  INFO(ref_err);
  REQUIRE(ref_code == 0);

  const fs::path run = dir.path / "run";
  const pid_t pid = ml_test::start_ml_train(base + " --checkpoint-every 1 --out " + run.string(), dir.file("run.err"));
  REQUIRE(pid > 0);
  const bool running = ml_test::wait_until_saved(pid, run, v.kill_epoch, v.kill_batch);
  ::kill(pid, SIGKILL);
  const int status = ml_test::wait_for(pid);
  INFO(ml_test::slurp(dir.file("run.err")));
  REQUIRE(running);  // else it finished before the kill: nothing was tested
  REQUIRE(WIFSIGNALED(status));
  const auto [epoch, batch] = ml_test::saved_position(run);
  INFO("killed with the state saved at epoch " << epoch << ", batch " << batch);
  REQUIRE(epoch >= v.kill_epoch);
  REQUIRE(epoch <= 3);

  auto [code, err] = ml_test::run_ml_train("--resume " + run.string(), dir.file("resume.err"));
  INFO(err);
  REQUIRE(code == 0);
  CHECK_THAT(err, Catch::Contains("resuming"));
  CHECK(ml_test::slurp(run / "model.safetensors") == ml_test::slurp(dir.path / "ref" / "model.safetensors"));
  CHECK(ml_test::learning_columns(run / "metrics.csv") == ml_test::learning_columns(dir.path / "ref" / "metrics.csv"));
  CHECK(ml_test::slurp(run / "alignment.csv") == ml_test::slurp(dir.path / "ref" / "alignment.csv"));
  for (const char* extra : {"model_best.safetensors", "snapshots.csv", "snapshots/epoch-1.5.safetensors"}) {
    if (v.name == "val") REQUIRE(fs::exists(dir.path / "ref" / extra));  // else the variant tests nothing more
    if (fs::exists(dir.path / "ref" / extra)) CHECK(ml_test::slurp(run / extra) == ml_test::slurp(dir.path / "ref" / extra));
  }
  CHECK(ml_test::learning_columns(run / "metrics.csv").size() > 100);  // three epochs' rows, not an empty match
  for (const auto& entry : fs::directory_iterator(run))  // a temporary the kill left behind is cleared
    CHECK(entry.path().filename().string().find(".tmp.") == std::string::npos);
}

}  // namespace

TEST_CASE("bp, SGD with momentum: killed and resumed equals uninterrupted", "[resume]") {
  check_resume_is_exact({"bp", "--rule bp", 2, 1});
}

TEST_CASE("weight-mirror (feedback weights and a noise stream): killed and resumed equals uninterrupted", "[resume]") {
  check_resume_is_exact({"wm", "--rule weight-mirror --mirror-steps 20 --lr 0.02", 1, 12});
}

TEST_CASE("sign-symmetry batchwise with Adam and a cosine schedule: killed and resumed equals uninterrupted", "[resume]") {
  check_resume_is_exact(
      {"ss-adam", "--rule sign-symmetry --feedback-magnitude batchwise --optimizer adam --lr 0.002 --lr-schedule cosine",
       2, 20});
}

TEST_CASE("dtp (its own Adam, noise, feedback pre-training): killed and resumed equals uninterrupted", "[resume]") {
  check_resume_is_exact({"dtp", "--rule dtp --lr 0.02", 2, 5});
}

TEST_CASE("with a validation split and snapshots: killed and resumed equals uninterrupted", "[resume][val]") {
  check_resume_is_exact({"val", "--rule bp --val 100 --snapshots 0.5,1.5,2,3", 2, 10});
}
