// config.json and study.json read back by ml-study --collect: what ml-train and
// ml-study write is read, and every malformed file is one line naming it.
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "study/json_config.h"
#include "study/run_data.h"
#include "test_util.h"

using Catch::Matchers::Contains;
using ml_test::error_of;

namespace {

const std::string kConfig =
    R"({"rule":"fa","data":"fashion-mnist","epochs":3,"batch":64,"limit":1000,"seed":4000000000,)"
    R"("train_samples":60000,"conv1":{"kind":"gabor","frozen":true}})";

std::string run_error(const std::string& text) {
  const std::string msg = error_of<std::runtime_error>([&] { ml::parse_run_config(text, "runs/x/config.json"); });
  CHECK_THAT(msg, Catch::StartsWith("runs/x/config.json: "));
  return msg;
}

std::string study_error(const std::string& text) {
  const std::string msg = error_of<std::runtime_error>([&] { ml::parse_study_index(text, "s/study.json"); });
  CHECK_THAT(msg, Catch::StartsWith("s/study.json: "));
  return msg;
}

std::string replaced(std::string s, const std::string& from, const std::string& to) {
  s.replace(s.find(from), from.size(), to);
  return s;
}

}  // namespace

TEST_CASE("config.json: the fields collect needs", "[study][json]") {
  const ml::RunConfig c = ml::parse_run_config(kConfig, "config.json");
  CHECK(c.rule == "fa");
  CHECK(c.conv1 == "gabor");
  CHECK(c.seed == 4000000000u);
  CHECK(c.epochs_planned == 3);
  CHECK(c.batches_per_epoch == 16);  // 1000 of 60000 samples in batches of 64
  CHECK(ml::parse_run_config(replaced(kConfig, R"({"kind":"gabor","frozen":true})", R"("dog")"), "c").conv1 == "dog");
}

TEST_CASE("config.json: malformed files are one line naming the file", "[study][json][errors]") {
  CHECK_THAT(run_error(""), Contains("not valid JSON"));
  CHECK_THAT(run_error(kConfig.substr(0, 30)), Contains("not valid JSON"));
  CHECK_THAT(run_error("[1, 2]"), Contains("expected a JSON object, found array"));
  CHECK_THAT(run_error(replaced(kConfig, R"("rule":"fa",)", "")), Contains("no 'rule'"));
  CHECK_THAT(run_error(replaced(kConfig, R"("rule":"fa")", R"("rule":7)")), Contains("'rule' is 7, expected a string"));
  CHECK_THAT(run_error(replaced(kConfig, R"("batch":64)", R"("batch":0)")), Contains("'batch' is 0, expected 1 to"));
  CHECK_THAT(run_error(replaced(kConfig, R"("epochs":3)", R"("epochs":1e300)")), Contains("expected an integer"));
  CHECK_THAT(run_error(replaced(kConfig, R"("epochs":3)", R"("epochs":99999999999)")), Contains("expected 0 to"));
  CHECK_THAT(run_error(replaced(kConfig, R"("seed":4000000000)", R"("seed":-1)")), Contains("'seed' is -1"));
  CHECK_THAT(run_error("{\"rule\":" + std::string(5000, '[') + std::string(5000, ']') + "}"),
             Contains("nests deeper than 32 levels"));
}

TEST_CASE("config.json: load_run names the file", "[study][json][errors]") {
  ml_test::TempDir dir("json-run");
  std::ofstream(dir.file("config.json")) << R"({"rule":"bp","batch":"64"})";
  const std::string msg = error_of<std::runtime_error>([&] { ml::load_run(dir.path.string(), "x"); });
  CHECK_THAT(msg, Catch::StartsWith(dir.file("config.json") + ": "));
  CHECK_THAT(error_of<std::runtime_error>([&] { ml::load_run(dir.file("missing"), "x"); }),
             Contains("config.json: cannot open"));
}

const std::string kStudy =
    R"({"preset":"quick","data":"fashion-mnist","epochs":3,"limit":12000,"probe":500,"seeds":2,"rules":["bp","fa"],)"
    R"("human":"","runs":[{"name":"bp","seed":1},{"name":"fa-s2","seed":2}]})";

TEST_CASE("study.json: the fields collect needs", "[study][json]") {
  const ml::StudyIndex s = ml::parse_study_index(kStudy, "study.json");
  CHECK(s.runs == std::vector<std::string>{"bp", "fa-s2"});
  CHECK(s.rules == std::vector<std::string>{"bp", "fa"});
  CHECK(s.preset == "quick");
  CHECK(s.epochs == 3);
  CHECK(s.limit == 12000);
  CHECK(s.probe == 500);
  CHECK(s.seeds == 2);
  // older files without the optional fields
  const ml::StudyIndex bare = ml::parse_study_index(R"({"runs":[]})", "study.json");
  CHECK(bare.seeds == 1);
  CHECK(bare.runs.empty());
}

TEST_CASE("study.json: malformed files are one line naming the file", "[study][json][errors]") {
  CHECK_THAT(study_error("{"), Contains("not valid JSON"));
  CHECK_THAT(study_error(R"({"preset":"quick"})"), Contains("no 'runs' list"));
  CHECK_THAT(study_error(R"({"runs":[5]})"), Contains("a run is 5"));
  CHECK_THAT(study_error(R"({"runs":[{"seed":1}]})"), Contains("no 'name'"));
  CHECK_THAT(study_error(R"({"runs":[{"name":"../../etc"}]})"), Contains("run name '../../etc' is not a plain folder name"));
  CHECK_THAT(study_error(R"({"runs":[{"name":".."}]})"), Contains("not a plain folder name"));
  CHECK_THAT(study_error(replaced(kStudy, R"("seeds":2)", R"("seeds":"2")")), Contains("'seeds' is \"2\""));
  CHECK_THAT(study_error(replaced(kStudy, R"(["bp","fa"])", R"(["bp",1])")), Contains("'rules' holds 1"));
}
