// Running the ml-train binary from tests: started as a child process (so a
// test can kill it for real), its stderr kept, and its outputs compared.
#pragma once
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/checkpoint.h"

extern char** environ;

namespace ml_test {

inline std::string ml_train_binary() {
  const char* bin = std::getenv("ML_BINARY_DIR");
  return std::string(bin ? bin : "..") + "/ml-train";
}

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Splits on spaces (the tests' paths have none).
inline std::vector<std::string> words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// ml-train with these arguments, started in the background; stdout and stderr go to err_file.
inline pid_t start_ml_train(const std::string& args, const std::string& err_file) {
  std::vector<std::string> argv_s = words(args);
  argv_s.insert(argv_s.begin(), ml_train_binary());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

// The raw wait status of the child.
inline int wait_for(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

// Runs ml-train to the end: {exit code (128 + signal when killed), stderr}.
inline std::pair<int, std::string> run_ml_train(const std::string& args, const std::string& err_file) {
  const pid_t pid = start_ml_train(args, err_file);
  if (pid < 0) return {-1, "could not start " + ml_train_binary()};
  const int status = wait_for(pid);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return {code, slurp(err_file)};
}

// (epoch, batch) of dir/train_state.safetensors, or (0, 0) while there is none.
inline std::pair<int, int> saved_position(const std::filesystem::path& dir) {
  const auto file = dir / "train_state.safetensors";
  if (!std::filesystem::exists(file)) return {0, 0};
  try {
    const auto j = nlohmann::json::parse(ml::load_safetensors(file.string()).metadata.at("progress"));
    return {j.at("epoch").get<int>(), j.at("batch").get<int>()};
  } catch (const std::exception&) {
    return {0, 0};  // renamed away between the check and the read
  }
}

// Waits (polling, at most ~60 s) until the run's saved position reaches (epoch, batch) or the child ends.
// Returns true while the child still runs.
inline bool wait_until_saved(pid_t pid, const std::filesystem::path& dir, int epoch, int batch) {
  for (int i = 0; i < 600000; ++i) {
    siginfo_t info{};
    if (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid)
      return false;  // ended (left waitable for wait_for)
    if (saved_position(dir) >= std::make_pair(epoch, batch)) return true;
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  return true;
}

// metrics.csv without its two timing columns (seconds, samples_per_s), which
// differ run to run by nature: epoch,train_loss,train_acc,test_loss,test_acc,val_loss,val_acc.
inline std::string learning_columns(const std::filesystem::path& csv) {
  std::istringstream in(slurp(csv));
  std::string line, out;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    int column = 0;
    for (std::string field; std::getline(fields, field, ','); ++column)
      if (column != 5 && column != 6) out += field + ",";  // not seconds, samples_per_s
    out += "\n";
  }
  return out;
}

}  // namespace ml_test
