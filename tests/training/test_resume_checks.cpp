// What ml-train refuses rather than continue from or write over: a damaged
// training state (a tensor removed, a NaN weight, a position outside the run),
// a run folder another ml-train holds or an earlier run left (without
// --overwrite), a bad argument inside config.json, and Adam settings that
// would train to garbage. Each refusal is one line naming the file, folder or
// flag, exit 1, and the folder left as it was.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>

#include "engine/checkpoint.h"
#include "ml_train_cli.h"
#include "synthetic_idx.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace {

// A finished two-epoch run (its state at epoch 3, batch 0) in dir/name: the state the tampering starts from.
struct FinishedRun {
  ml_test::TempDir dir;
  std::string data, base;
  fs::path run;

  explicit FinishedRun(const std::string& tag, const std::string& extra = "") : dir(tag) {
    data = ml_test::write_synthetic_idx(dir.file("data"), 300, 100);
    base = "--data mnist --data-dir " + data + " --arch conv4k3-relu-maxpool2-flatten-fc10 --epochs 2 --batch 32 " +
           "--device cpu --no-progress --seed 5 " + extra;
    run = dir.path / "run";
    const auto [code, err] = ml_test::run_ml_train(base + " --out " + run.string(), dir.file("first.err"));
    INFO(err);
    REQUIRE(code == 0);
  }
  fs::path state() const { return run / "train_state.safetensors"; }
  std::pair<int, std::string> resume() const { return ml_test::run_ml_train("--resume " + run.string(), dir.file("resume.err")); }
};

// The state rewritten after `edit` changes its tensors and metadata.
template <class F>
void rewrite_state(const fs::path& path, F&& edit) {
  ml::Checkpoint ck = ml::load_safetensors(path.string());
  edit(ck);
  ml::save_safetensors(path.string(), ck.tensors, ck.metadata);
}

void set_progress(ml::Checkpoint& ck, const std::string& key, const nlohmann::json& value) {
  auto j = nlohmann::json::parse(ck.metadata.at("progress"));
  j[key] = value;
  ck.metadata["progress"] = j.dump();
}

void remove_tensor(ml::Checkpoint& ck, const std::string& name) {
  const auto before = ck.tensors.size();
  std::erase_if(ck.tensors, [&](const ml::NamedTensor& t) { return t.name == name; });
  REQUIRE(ck.tensors.size() + 1 == before);  // it was there: the case tests what it says
}

// Exit 1, one line "ml-train: error: ..." that holds every `needle`.
void check_refused(const std::pair<int, std::string>& result, const std::vector<std::string>& needles) {
  const auto& [code, err] = result;
  INFO(err);
  CHECK(code == 1);
  CHECK(err.rfind("ml-train: error: ", 0) == 0);
  CHECK(std::count(err.begin(), err.end(), '\n') == 1);
  for (const auto& n : needles) CHECK_THAT(err, Catch::Contains(n));
}

}  // namespace

TEST_CASE("an untampered state rewritten by the test still resumes (the control of the cases below)", "[resume][checks]") {
  FinishedRun r("resume-control");
  rewrite_state(r.state(), [](ml::Checkpoint&) {});
  const auto [code, err] = r.resume();
  INFO(err);
  CHECK(code == 0);
  CHECK_THAT(err, Catch::Contains("all 2 epochs are done"));
}

TEST_CASE("a state with an optimizer moment removed is refused, naming it", "[resume][checks]") {
  FinishedRun r("resume-moment");
  const std::string model_before = ml_test::slurp(r.run / "model.safetensors");
  rewrite_state(r.state(), [](ml::Checkpoint& ck) { remove_tensor(ck, "opt/conv1.weight.momentum"); });
  check_refused(r.resume(), {"train_state.safetensors", "opt/conv1.weight.momentum", "missing"});
  CHECK(ml_test::slurp(r.run / "model.safetensors") == model_before);

  SECTION("also when the state's own list of its tensors is removed with it") {
    rewrite_state(r.state(), [](ml::Checkpoint& ck) { ck.metadata.erase("tensors"); });
    check_refused(r.resume(), {"train_state.safetensors", "opt/conv1.weight.momentum", "missing"});
  }
}

TEST_CASE("Adam: a state without a parameter's step count or second moment is refused", "[resume][checks]") {
  FinishedRun r("resume-adam", "--optimizer adam --lr 0.001");
  rewrite_state(r.state(), [](ml::Checkpoint& ck) {
    remove_tensor(ck, "opt/fc1.bias.adam_v");
    ck.metadata.erase("tensors");
  });
  check_refused(r.resume(), {"train_state.safetensors", "opt/fc1.bias.adam_v"});
}

TEST_CASE("a NaN or an infinity in the state is refused, naming the tensor", "[resume][checks]") {
  FinishedRun r("resume-nan");
  const float bad = GENERATE(std::numeric_limits<float>::quiet_NaN(), -std::numeric_limits<float>::infinity());
  rewrite_state(r.state(), [&](ml::Checkpoint& ck) {
    for (auto& t : ck.tensors)
      if (t.name == "net/fc1.weight") t.tensor.data()[7] = bad;
  });
  check_refused(r.resume(), {"train_state.safetensors", "net/fc1.weight", "element 7"});
}

TEST_CASE("a position outside the run is refused", "[resume][checks]") {
  FinishedRun r("resume-position");
  struct Case {
    const char* key;
    nlohmann::json value;
    const char* says;
  };
  // The run: 300 images, batch 32 -> 10 batches an epoch; 2 epochs; the finished state stands at epoch 3, batch 0.
  const Case c = GENERATE(Case{"batch", 100001, "outside the epoch's 10 batches"},
                          Case{"epoch", 5, "outside the run's 2 epochs"},
                          Case{"epoch", 2, "2 finished epochs recorded, 1 expected"},
                          Case{"epoch", 0, "outside the run's 2 epochs"},
                          Case{"seen", 64, "64 images counted"},
                          Case{"batch", 3, "past the run's last epoch"});
  INFO(c.key << " = " << c.value);
  rewrite_state(r.state(), [&](ml::Checkpoint& ck) { set_progress(ck, c.key, c.value); });
  check_refused(r.resume(), {"train_state.safetensors", c.says});
}

TEST_CASE("a finished run's folder is not written over without --overwrite", "[run-folder]") {
  FinishedRun r("folder-rerun", "--estimator-stats 2");
  REQUIRE(fs::exists(r.run / "estimator.csv"));
  const std::string config_before = ml_test::slurp(r.run / "config.json");
  const std::string state_before = ml_test::slurp(r.state());
  const std::string other = "--data mnist --data-dir " + r.data + " --arch conv4k3-relu-maxpool2-flatten-fc10 " +
                            "--epochs 1 --batch 32 --device cpu --no-progress --seed 6 --out " + r.run.string();

  check_refused(ml_test::run_ml_train(other, r.dir.file("again.err")), {"--out", "--overwrite", "--resume"});
  CHECK(ml_test::slurp(r.run / "config.json") == config_before);
  CHECK(ml_test::slurp(r.state()) == state_before);

  SECTION("--overwrite replaces the run: no stale estimator.csv, the user's own files kept") {
    { std::ofstream(r.run / "notes.txt") << "mine\n"; }
    const auto [code, err] = ml_test::run_ml_train(other + " --overwrite", r.dir.file("overwrite.err"));
    INFO(err);
    REQUIRE(code == 0);
    CHECK_FALSE(fs::exists(r.run / "estimator.csv"));
    CHECK(ml_test::slurp(r.run / "notes.txt") == "mine\n");
    CHECK_THAT(ml_test::slurp(r.run / "config.json"), Catch::Contains("\"seed\": 6"));
    const std::string metrics = ml_test::slurp(r.run / "metrics.csv");
    CHECK(std::count(metrics.begin(), metrics.end(), '\n') == 2);  // the header and the new run's one epoch
  }
  SECTION("--overwrite is not for --resume") {
    check_refused(ml_test::run_ml_train("--resume " + r.run.string() + " --overwrite", r.dir.file("both.err")),
                  {"--overwrite", "--resume"});
  }
}

TEST_CASE("a folder another ml-train holds is refused, naming the holder's pid", "[run-folder]") {
  ml_test::TempDir dir("folder-lock");
  const std::string data = ml_test::write_synthetic_idx(dir.file("data"), 300, 100);
  const fs::path run = dir.path / "run";
  const std::string args = "--data mnist --data-dir " + data + " --arch conv4k3-relu-maxpool2-flatten-fc10 " +
                           "--batch 32 --device cpu --no-progress --out " + run.string();

  SECTION("held by a live ml-train") {
    const pid_t first = ml_test::start_ml_train(args + " --epochs 400 --seed 1", dir.file("first.err"));
    REQUIRE(first > 0);
    bool started = false;  // the first holds the folder once its config is written
    for (int i = 0; i < 3000 && !started; ++i) {
      started = fs::exists(run / "config.json");
      if (!started) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const std::string config_before = ml_test::slurp(run / "config.json");
    const auto second = ml_test::run_ml_train(args + " --epochs 1 --seed 2 --overwrite", dir.file("second.err"));
    ::kill(first, SIGKILL);
    ml_test::wait_for(first);
    REQUIRE(started);
    check_refused(second, {"in use by another process", "pid " + std::to_string(first)});
    CHECK(ml_test::slurp(run / "config.json") == config_before);  // still the first run's (seed 1)
  }
  SECTION("the lock goes with its holder: after a kill -9 the folder can be continued") {
    fs::create_directories(run);
    const int fd = ::open((run / ".ml-train.lock").c_str(), O_RDWR | O_CREAT, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(::flock(fd, LOCK_EX | LOCK_NB) == 0);
    REQUIRE(::write(fd, "4242\n", 5) == 5);
    check_refused(ml_test::run_ml_train(args + " --epochs 1", dir.file("held.err")), {"pid 4242"});
    ::close(fd);  // as the kernel does for a killed holder
    const auto [code, err] = ml_test::run_ml_train(args + " --epochs 1", dir.file("free.err"));
    INFO(err);
    CHECK(code == 0);
  }
}

TEST_CASE("config.json: a command line that is not all strings, or holds a bad option, names the file", "[resume][checks]") {
  FinishedRun r("resume-config");
  auto config = nlohmann::json::parse(ml_test::slurp(r.run / "config.json"));
  auto edited = config;
  SECTION("a number among the arguments") {
    edited["command_line"].push_back(7);
    { std::ofstream(r.run / "config.json") << edited.dump(2); }
    check_refused(r.resume(), {"config.json", "command_line", "7"});
    CHECK(ml_test::slurp(r.dir.file("resume.err")).find("type_error") == std::string::npos);
  }
  SECTION("an option ml-train does not know") {
    edited["command_line"].push_back("--bogus-flag");
    { std::ofstream(r.run / "config.json") << edited.dump(2); }
    check_refused(r.resume(), {"config.json", "bogus-flag"});
  }
}

TEST_CASE("Adam's betas outside [0, 1) and eps <= 0 are refused before anything is written", "[checks]") {
  ml_test::TempDir dir("adam-flags");
  const std::string data = ml_test::write_synthetic_idx(dir.file("data"), 100, 50);
  struct Case {
    const char* flags;
    const char* names;
  };
  const Case c = GENERATE(Case{"--beta1 1", "--beta1"}, Case{"--beta1 -0.1", "--beta1"}, Case{"--beta2 1.5", "--beta2"},
                          Case{"--eps 0", "--eps"}, Case{"--eps -1e-8", "--eps"}, Case{"--beta1 nan", "--beta1"});
  INFO(c.flags);
  const fs::path out = dir.path / "out";
  check_refused(ml_test::run_ml_train("--data mnist --data-dir " + data + " --epochs 1 --device cpu --no-progress "
                                      "--optimizer adam " + std::string(c.flags) + " --out " + out.string(),
                                      dir.file("err")),
                {c.names});
  CHECK_FALSE(fs::exists(out));
}
