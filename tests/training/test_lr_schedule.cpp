// --lr-schedule: the rates, checked against the cosine written out here, and
// ml-train's use of them (config.json, a bad name, resuming older runs).
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/lr_schedule.h"
#include "ml_train_cli.h"
#include "synthetic_idx.h"
#include "test_util.h"

TEST_CASE("constant: --lr at every batch", "[lr-schedule]") {
  for (int e = 1; e <= 3; ++e)
    for (int b = 0; b < 7; ++b) CHECK(ml::scheduled_lr(ml::LrSchedule::Constant, 0.03f, e, b, 3, 7) == 0.03f);
}

TEST_CASE("cosine: full rate first, half way at the middle, falling to near zero", "[lr-schedule]") {
  const auto cosine = ml::LrSchedule::Cosine;
  CHECK(ml::scheduled_lr(cosine, 0.1f, 1, 0, 4, 10) == 0.1f);
  CHECK(ml::scheduled_lr(cosine, 0.1f, 3, 0, 4, 10) == Approx(0.05).epsilon(1e-6));  // batch 20 of 40
  // batch 10 of 40: (1 + cos(pi / 4)) / 2 = (2 + sqrt 2) / 4
  CHECK(ml::scheduled_lr(cosine, 0.1f, 2, 0, 4, 10) == Approx(0.1 * (2 + std::sqrt(2.0)) / 4).epsilon(1e-6));
  const float last = ml::scheduled_lr(cosine, 0.1f, 4, 9, 4, 10);
  CHECK(last > 0.0f);
  CHECK(last < 0.1f * 0.01f);
  float previous = 1.0f;
  for (int e = 1; e <= 4; ++e)
    for (int b = 0; b < 10; ++b) {
      const float lr = ml::scheduled_lr(cosine, 0.1f, e, b, 4, 10);
      CHECK(lr < previous);  // strictly falling
      previous = lr;
    }
}

TEST_CASE("parse_lr_schedule: the two names, and a clear error naming the flag", "[lr-schedule][errors]") {
  CHECK(ml::parse_lr_schedule("constant") == ml::LrSchedule::Constant);
  CHECK(ml::parse_lr_schedule("cosine") == ml::LrSchedule::Cosine);
  try {
    ml::parse_lr_schedule("step");
    FAIL("no error for 'step'");
  } catch (const std::invalid_argument& e) {
    CHECK_THAT(e.what(), Catch::Contains("--lr-schedule 'step'"));
  }
}

TEST_CASE("ml-train --lr-schedule: stored in config.json; a bad name writes nothing", "[lr-schedule][cli]") {
  ml_test::TempDir dir("lr-schedule");
  const std::string data = ml_test::write_synthetic_idx(dir.file("data"), 200, 50);
  const std::string base = "--data mnist --data-dir " + data +
                           " --arch flatten-fc16-relu-fc10 --epochs 1 --batch 50 --device cpu --no-progress";
  auto [code, err] =
      ml_test::run_ml_train(base + " --lr-schedule cosine --out " + dir.file("run"), dir.file("run.err"));
  INFO(err);
  REQUIRE(code == 0);
  CHECK_THAT(ml_test::slurp(dir.path / "run" / "config.json"), Catch::Contains("\"lr_schedule\": \"cosine\""));

  auto [bad_code, bad_err] =
      ml_test::run_ml_train(base + " --lr-schedule linear --out " + dir.file("bad"), dir.file("bad.err"));
  CHECK(bad_code == 1);
  CHECK_THAT(bad_err, Catch::Contains("--lr-schedule 'linear'"));
  CHECK_FALSE(std::filesystem::exists(dir.path / "bad"));
}

TEST_CASE("--resume of a run from before --lr-schedule: taken as constant (and unclipped)", "[lr-schedule][resume]") {
  ml_test::TempDir dir("lr-schedule-old");
  const std::string data = ml_test::write_synthetic_idx(dir.file("data"), 200, 50);
  const std::string base = "--data mnist --data-dir " + data +
                           " --arch flatten-fc16-relu-fc10 --epochs 1 --batch 50 --device cpu --no-progress";
  for (const std::string schedule : {"constant", "cosine"}) {
    const std::string run = dir.file(schedule);
    auto [code, err] = ml_test::run_ml_train(base + " --lr-schedule " + schedule + " --out " + run, dir.file("a.err"));
    INFO(err);
    REQUIRE(code == 0);
    // config.json as an older ml-train wrote it: no lr_schedule, no clip_grad_norm
    const std::string config_path = run + "/config.json";
    nlohmann::json config = nlohmann::json::parse(ml_test::slurp(config_path));
    config["optimizer"].erase("lr_schedule");
    config["optimizer"].erase("clip_grad_norm");
    std::ofstream(config_path) << config.dump(2);
    auto [resume_code, resume_err] = ml_test::run_ml_train("--resume " + run, dir.file("b.err"));
    INFO(schedule << ": " << resume_err);
    if (schedule == "constant") {
      CHECK(resume_code == 0);
      CHECK_THAT(resume_err, Catch::Contains("nothing to resume"));
    } else {
      CHECK(resume_code == 1);  // a cosine run cannot have been an old constant one
      CHECK_THAT(resume_err, Catch::Contains("\"optimizer\""));
    }
  }
}
