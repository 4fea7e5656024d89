// ml-study's programs end with it: a SIGTERM to the study stops the running
// ml-train (which saves its state) before the study exits 143, and a rerun
// resumes; a SIGKILL of the study still stops ml-train (the parent-death
// signal). A finished run's done marker vouches for its files: a file changed
// afterwards makes the next study say so and run it again. With --jobs 2 two
// runs train at once, a SIGTERM stops both, and the finished study has the
// numbers of --jobs 1. And an empty --rules or --embeddings is an error, not
// "every rule".
#ifdef __linux__
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "study/done_marker.h"
#include "study/plan.h"
#include "synthetic_idx.h"
#include "test_util.h"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using ml_test::TempDir;

namespace {

using Clock = std::chrono::steady_clock;

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// ml-study started with `args`, stderr into err, not waited for.
pid_t start_study(const std::vector<std::string>& args, const fs::path& err) {
  const char* bin = std::getenv("ML_BINARY_DIR");
  std::vector<std::string> all = {std::string(bin ? bin : "..") + "/ml-study"};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int fd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  REQUIRE(fd >= 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int null_fd = open("/dev/null", O_WRONLY);
    dup2(null_fd, 1);
    dup2(fd, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fd);
  return pid;
}

// The wait status of child `pid` once it ended within `seconds`; nothing otherwise.
std::optional<int> wait_status(pid_t pid, double seconds) {
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  do {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return status;
    sleep_ms(10);
  } while (Clock::now() < end);
  return std::nullopt;
}

// Exit code (or 128 + signal) and stderr of a whole ml-study run.
std::pair<int, std::string> run_study(const std::vector<std::string>& args, const fs::path& dir) {
  const fs::path err = dir / "study_stderr.txt";
  const pid_t pid = start_study(args, err);
  const auto status = wait_status(pid, 600);  // under ASan on 2 busy cores a small study takes minutes
  if (!status) kill(pid, SIGKILL), waitpid(pid, nullptr, 0);
  REQUIRE(status);
  return {WIFEXITED(*status) ? WEXITSTATUS(*status) : 128 + WTERMSIG(*status), slurp(err)};
}

struct Proc {
  pid_t ppid = 0;
  char state = '?';
  std::string comm;
};

// Every process, from /proc/<pid>/stat ("pid (comm) state ppid ...").
std::map<pid_t, Proc> processes() {
  std::map<pid_t, Proc> all;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat = slurp(e.path() / "stat");
    const size_t open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    Proc p;
    p.comm = stat.substr(open + 1, close - open - 1);
    std::istringstream rest(stat.substr(close + 1));
    rest >> p.state >> p.ppid;
    all[std::stoi(name)] = p;
  }
  return all;
}

// A live process named `name` below `root` (any depth: a shell may stand between), or 0.
pid_t descendant_named(pid_t root, const std::string& name) {
  const auto all = processes();
  for (const auto& [pid, p] : all) {
    if (p.comm != name || p.state == 'Z') continue;
    pid_t up = p.ppid;
    for (int depth = 0; depth < 8 && up > 1; ++depth) {
      if (up == root) return pid;
      const auto it = all.find(up);
      if (it == all.end()) break;
      up = it->second.ppid;
    }
  }
  return 0;
}

// True when process `pid` no longer runs (reaped, or a zombie waiting for a parent that is not us).
bool gone(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, WNOHANG) == pid) return true;  // an orphan that came to us (subreaper)
  const std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  if (stat.empty()) return true;
  const size_t close = stat.rfind(')');
  return close != std::string::npos && stat.find(" Z ", close) == close + 1;
}

// The ml-train below `study` once it trains (its run's config.json written); 0 if the study ends first.
pid_t wait_for_training(pid_t study, const fs::path& run) {
  const auto end = Clock::now() + std::chrono::seconds(120);
  while (Clock::now() < end) {
    const pid_t train = descendant_named(study, "ml-train");
    if (train && fs::exists(run / "config.json")) return train;
    int status = 0;
    if (waitpid(study, &status, WNOHANG) == study) return 0;
    sleep_ms(5);
  }
  return 0;
}

// Kills a process this test started (and left running only when a check failed) as the test ends.
struct KillAtEnd {
  pid_t pid = 0;
  ~KillAtEnd() {
    if (pid > 0 && !gone(pid)) kill(pid, SIGKILL), waitpid(pid, nullptr, WNOHANG);
  }
};

// FNV-1a 64 of a file, written again here as the oracle of the done marker's checksums.
std::string fnv1a64_hex(const fs::path& p) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : slurp(p)) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

std::vector<std::string> study_args(const std::string& data, const fs::path& out, int epochs) {
  return {"--data", "mnist", "--data-dir", data, "--rules", "fa", "--embeddings", "none", "--epochs",
          std::to_string(epochs), "--probe", "20", "--limit", "0", "--val", "30", "--device", "cpu", "--out",
          out.string()};
}

}  // namespace

TEST_CASE("ml-study: a SIGTERM stops its ml-train before it exits 143; the rerun resumes; a changed run is redone",
          "[study][signals]") {
  prctl(PR_SET_CHILD_SUBREAPER, 1);  // orphans of the programs under test come to this process, to be seen and reaped
  TempDir dir("study-children");
  const std::string data = ml_test::write_synthetic_idx((dir.path / "data").string(), 400, 40, 28);
  const fs::path out = dir.path / "s", run = out / "runs" / "fa";
  const auto args = study_args(data, out, 1);

  const fs::path err = dir.path / "first_stderr.txt";
  KillAtEnd study{start_study(args, err)};
  KillAtEnd train{wait_for_training(study.pid, run)};
  REQUIRE(train.pid > 0);
  REQUIRE(kill(study.pid, SIGTERM) == 0);
  const auto status = wait_status(study.pid, 60);
  REQUIRE(status);
  study.pid = 0;
  const std::string first = slurp(err);
  INFO(first);
  CHECK(gone(train.pid));  // the study waited for it: no ml-train left writing into the run
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 128 + SIGTERM);
  const auto first_lines = lines_of(first);
  REQUIRE(!first_lines.empty());
  CHECK_THAT(first_lines.back(), Contains("interrupted (SIGTERM) during run fa") &&
                                     Contains("run the same ml-study command again to resume"));
  CHECK(!fs::exists(run / "done"));

  // The same command again resumes and finishes; the marker vouches for the run's files.
  {
    auto [code, text] = run_study(args, dir.path);
    INFO(text);
    REQUIRE(code == 0);
    CHECK_THAT(text, !Contains("running fa again"));
  }
  ml::StudyConfig c;
  c.rules = {"fa"};
  c.embeddings = {"none"};
  c.epochs = 1;
  c.limit = 0;
  c.val = 30;
  c.probe = 20;
  c.data = "mnist";
  c.data_dir = data;
  c.device = "cpu";
  c.out = out.string();
  const char* bin = std::getenv("ML_BINARY_DIR");
  c.bin_dir = fs::absolute(bin ? bin : "..").lexically_normal().string();
  const auto jobs = ml::plan_study(ml::resolve_study(c, false));
  REQUIRE(jobs.size() == 1);
  const std::string key = jobs[0].key;
  CHECK(ml::job_done(jobs[0]));

  // The marker: the key, then "checksum size name" for each file it vouches for, the checksum FNV-1a 64.
  {
    const auto lines = lines_of(slurp(run / "done"));
    REQUIRE(lines.size() >= 5);
    CHECK(lines[0] == key);
    std::map<std::string, std::string> vouched;
    for (size_t i = 1; i < lines.size(); ++i) {
      std::istringstream in(lines[i]);
      std::string hash, size, name;
      in >> hash >> size >> name;
      INFO(lines[i]);
      CHECK(hash == fnv1a64_hex(run / name));
      CHECK(std::stoull(size) == fs::file_size(run / name));
      vouched[name] = hash;
    }
    for (const char* name : {"config.json", "metrics.csv", "model.safetensors", "model_best.safetensors",
                             "acts/labels.npy", "acts/probs.npy", "acts/layers.txt"})
      CHECK(vouched.count(name) == 1);
    CHECK(vouched.count("train_state.safetensors") == 0);  // not a result: a resume rewrites it
  }

  // What the marker catches, on a copy of the run.
  {
    const fs::path copy = dir.path / "copy";
    auto fresh_copy = [&] {
      fs::remove_all(copy);
      fs::copy(run, copy, fs::copy_options::recursive);
      return ml::RunDir(copy.string());
    };
    ml::RunDir r = fresh_copy();
    CHECK(ml::check_done_marker(r, key).state == ml::DoneState::Done);
    CHECK(ml::check_done_marker(r, "another-key").state == ml::DoneState::OtherJob);
    fs::remove(copy / "acts" / "probs.npy");
    auto check = ml::check_done_marker(r, key);
    CHECK(check.state == ml::DoneState::Changed);
    CHECK_THAT(check.why, Contains("acts/probs.npy is missing"));

    r = fresh_copy();
    std::ofstream(copy / "metrics.csv", std::ios::app) << "2,1,1,1,1,1,1,1,1\n";
    check = ml::check_done_marker(r, key);
    CHECK(check.state == ml::DoneState::Changed);
    CHECK_THAT(check.why, Contains("metrics.csv changed after the run finished"));

    // A marker that vouches for a metrics.csv one epoch short of config.json's (its checksum right):
    // only a run marked as stopped early (diverged) may end before its planned epochs.
    r = fresh_copy();
    const std::string metrics = slurp(copy / "metrics.csv");
    const std::string header_only = metrics.substr(0, metrics.find('\n') + 1);
    std::ofstream(copy / "metrics.csv", std::ios::binary | std::ios::trunc) << header_only;
    std::string marker;
    for (const auto& line : lines_of(slurp(copy / "done"))) {
      if (line.size() > 12 && line.compare(line.size() - 12, 12, " metrics.csv") == 0)
        marker += fnv1a64_hex(copy / "metrics.csv") + " " + std::to_string(header_only.size()) + " metrics.csv\n";
      else
        marker += line + "\n";
    }
    std::ofstream(copy / "done", std::ios::binary | std::ios::trunc) << marker;
    check = ml::check_done_marker(r, key);
    CHECK(check.state == ml::DoneState::Changed);
    CHECK_THAT(check.why, Contains("plans 1 epochs but") && Contains("ends at epoch 0"));
    std::ofstream(copy / "done", std::ios::binary | std::ios::trunc) << marker << "stopped-early\n";
    CHECK(ml::check_done_marker(r, key).state == ml::DoneState::Done);

    // The shell line of --plan writes the key alone: taken at its word, as before.
    std::ofstream(copy / "done", std::ios::binary | std::ios::trunc) << key << "\n";
    std::ofstream(copy / "model.safetensors", std::ios::app) << "x";
    CHECK(ml::check_done_marker(r, key).state == ml::DoneState::Done);
  }

  // A model changed after the run finished: the next study says so and trains the run again.
  std::string tampered = slurp(run / "model.safetensors");
  tampered[tampered.size() - 3] = static_cast<char>(tampered[tampered.size() - 3] ^ 0x40);
  std::ofstream(run / "model.safetensors", std::ios::binary | std::ios::trunc) << tampered;
  CHECK(!ml::job_done(jobs[0]));
  auto [code, text] = run_study(args, dir.path);
  INFO(text);
  REQUIRE(code == 0);
  CHECK_THAT(text, Contains(run.string() + "/model.safetensors changed after the run finished") &&
                       Contains("running fa again"));
  CHECK_THAT(text, !Contains("already finished"));
  CHECK(slurp(run / "model.safetensors") != tampered);
  CHECK_THAT(slurp(run / "train.log"), !Contains("resum"));  // trained afresh, not resumed from the old state
  CHECK(ml::job_done(jobs[0]));
}

TEST_CASE("ml-study: a SIGKILL of the study still stops its ml-train (parent-death signal)", "[study][signals]") {
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  TempDir dir("study-children-kill");
  const std::string data = ml_test::write_synthetic_idx((dir.path / "data").string(), 400, 40, 28);
  const fs::path out = dir.path / "s", run = out / "runs" / "fa";
  KillAtEnd study{start_study(study_args(data, out, 20), dir.path / "stderr.txt")};
  KillAtEnd train{wait_for_training(study.pid, run)};
  REQUIRE(train.pid > 0);
  REQUIRE(kill(study.pid, SIGKILL) == 0);
  REQUIRE(wait_status(study.pid, 10));
  study.pid = 0;
  // The orphan comes to this process (subreaper): its wait status says how it ended.
  int status = 0;
  const auto end = Clock::now() + std::chrono::seconds(30);  // a batch and a checkpoint, on a slow machine
  pid_t reaped = 0;
  while (Clock::now() < end && (reaped = waitpid(train.pid, &status, WNOHANG)) == 0) sleep_ms(10);
  INFO("ml-train's wait status " << status << "; train.log:\n" << slurp(run / "train.log"));
  REQUIRE(reaped == train.pid);
  train.pid = 0;
  // Stopped by the SIGTERM the parent's death sent: ml-train saved its state and exited 143.
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 128 + SIGTERM);
  CHECK_THAT(slurp(run / "train.log"), Contains("interrupted (SIGTERM"));
  CHECK(fs::exists(run / "train_state.safetensors"));
}

namespace {

// The ml-train processes below `root` that have not ended.
std::vector<pid_t> trainers_below(pid_t root) {
  std::vector<pid_t> found;
  const auto all = processes();
  for (const auto& [pid, p] : all) {
    if (p.comm != "ml-train" || p.state == 'Z') continue;
    for (pid_t up = p.ppid; up > 1;) {
      if (up == root) {
        found.push_back(pid);
        break;
      }
      const auto it = all.find(up);
      if (it == all.end()) break;
      up = it->second.ppid;
    }
  }
  return found;
}

// Sets an environment variable for this test, restoring it after.
struct ScopedEnv {
  std::string name;
  std::optional<std::string> old;
  ScopedEnv(const std::string& n, const std::string& value) : name(n) {
    if (const char* v = std::getenv(n.c_str())) old = v;
    setenv(n.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old) setenv(name.c_str(), old->c_str(), 1);
    else unsetenv(name.c_str());
  }
};

}  // namespace

TEST_CASE("ml-study --jobs 2: two runs at once, costliest first; a SIGTERM stops both; the rerun gives --jobs 1's "
          "numbers",
          "[study][signals][jobs]") {
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  const ScopedEnv one_thread("OMP_NUM_THREADS", "1");  // both ways train with the same thread count
  TempDir dir("study-jobs");
  const std::string data = ml_test::write_synthetic_idx((dir.path / "data").string(), 200, 40, 28);
  auto args_for = [&](const fs::path& out, const std::string& jobs) {
    auto args = study_args(data, out, 3);
    const auto rules = std::find(args.begin(), args.end(), "--rules");
    *(rules + 1) = "fa,ddtp";
    args.insert(args.end(), {"--jobs", jobs});
    return args;
  };
  const fs::path serial = dir.path / "serial", together = dir.path / "together";
  {
    auto [code, text] = run_study(args_for(serial, "1"), dir.path);
    INFO(text);
    REQUIRE(code == 0);
    CHECK_THAT(text, Contains("1 at a time"));
  }

  const fs::path err = dir.path / "together_stderr.txt";
  KillAtEnd study{start_study(args_for(together, "2"), err)};
  // Both runs training at the same moment, each past writing its config.json.
  std::vector<pid_t> both;
  const auto end = Clock::now() + std::chrono::seconds(120);
  while (Clock::now() < end && both.size() < 2 && !gone(study.pid)) {
    both = trainers_below(study.pid);
    if (!fs::exists(together / "runs" / "fa" / "config.json") ||
        !fs::exists(together / "runs" / "ddtp" / "config.json"))
      both.clear();
    sleep_ms(5);
  }
  INFO(slurp(err));
  REQUIRE(both.size() == 2);
  // ddtp (RuleSpec::study_cost 1.5) before fa (1), though the plan lists fa first.
  CHECK_THAT(slurp(err), Contains("[1/2] ddtp: training") && Contains("[2/2] fa: training"));
  KillAtEnd train_a{both[0]}, train_b{both[1]};
  REQUIRE(kill(study.pid, SIGTERM) == 0);
  const auto status = wait_status(study.pid, 60);
  REQUIRE(status);
  study.pid = 0;
  CHECK(gone(train_a.pid));
  CHECK(gone(train_b.pid));
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 128 + SIGTERM);
  const auto lines = lines_of(slurp(err));
  REQUIRE(!lines.empty());
  CHECK_THAT(lines.back(), Contains("interrupted (SIGTERM) during runs ") && Contains("fa") &&
                               Contains("ddtp"));
  for (const char* run : {"fa", "ddtp"}) {
    INFO(run);
    CHECK_THAT(slurp(together / "runs" / run / "train.log"), Contains("interrupted (SIGTERM"));
    CHECK(fs::exists(together / "runs" / run / "train_state.safetensors"));
  }

  // The same command again resumes both; the finished runs are those of --jobs 1, bit for bit.
  {
    auto [code, text] = run_study(args_for(together, "2"), dir.path);
    INFO(text);
    REQUIRE(code == 0);
    CHECK_THAT(text, Contains("2 run(s) in") && Contains("2 at a time"));
  }
  for (const char* run : {"fa", "ddtp"}) {
    INFO(run);
    for (const char* file : {"model.safetensors", "model_best.safetensors", "acts/probs.npy"})
      CHECK(slurp(serial / "runs" / run / file) == slurp(together / "runs" / run / file));
    CHECK_THAT(slurp(together / "runs" / run / "train.log"), Contains("resum"));
  }
}

TEST_CASE("ml-study: --jobs out of range is one error line", "[study][cli][jobs]") {
  TempDir dir("study-jobs-range");
  for (const char* jobs : {"-1", "65"}) {
    auto [code, err] = run_study({"--jobs", jobs, "--device", "cpu", "--out", (dir.path / "x").string()}, dir.path);
    INFO(err);
    CHECK(code == 1);
    CHECK_THAT(err, Contains(std::string("ml-study: error: --jobs ") + jobs + ": must be in [1, 64]"));
    CHECK(std::count(err.begin(), err.end(), '\n') == 1);
    CHECK(!fs::exists(dir.path / "x"));
  }
}

TEST_CASE("ml-study: an empty --rules or --embeddings, or an empty item, is one error line", "[study][cli]") {
  TempDir dir("study-empty-lists");
  const std::string plan = (dir.path / "jobs.txt").string();
  struct Case {
    std::vector<std::string> args;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {{"--rules", ""}, "--rules '': empty"},
      {{"--rules", "  "}, "--rules '  ': empty"},
      {{"--rules", "bp,,fa"}, "--rules 'bp,,fa': an empty item"},
      {{"--rules", "bp,"}, "--rules 'bp,': an empty item"},
      {{"--rules", ",bp"}, "--rules ',bp': an empty item"},
      {{"--embeddings", ""}, "--embeddings '': empty"},
      {{"--embeddings", "gabor, ,dog"}, "--embeddings 'gabor, ,dog': an empty item"},
  };
  for (const auto& k : cases) {
    // With --plan: a study that took the empty list for "every rule" writes its plan and exits 0.
    std::vector<std::string> args = k.args;
    args.insert(args.end(), {"--device", "cpu", "--out", (dir.path / "x").string(), "--plan", plan});
    auto [code, err] = run_study(args, dir.path);
    INFO("ml-study " << k.args[0] << " '" << k.args[1] << "'\nstderr: " << err);
    CHECK(code == 1);
    CHECK_THAT(err, Contains("ml-study: error: " + k.expect));
    CHECK(std::count(err.begin(), err.end(), '\n') == 1);
    CHECK(!fs::exists(plan));
  }
}

#endif  // __linux__
