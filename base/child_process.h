// Running a program as a child that ends with its parent: ml-study's runs.
// Each child gets its own process group, so a Ctrl-C at the terminal reaches
// only the parent, which passes SIGINT and SIGTERM on to the child's group
// and waits for it (ml-train then saves its training state); and on Linux the
// child asks for SIGTERM when the parent dies, so even a SIGKILL of the parent
// leaves no program writing into a run folder behind it. Elsewhere that last
// part does nothing.
#pragma once
#include <signal.h>

#include <string>
#include <vector>

namespace ml {

// While one lives, SIGINT and SIGTERM do not end this process: each is passed on to every running child's
// process group (a second one too: ml-train stops at once on its second) and the first is remembered.
// A signal that was ignored when it was made stays ignored. The old handlers come back when it goes.
// Make it on the thread that is to receive the signals; threads that run children (run_child may be
// called from up to kMaxRunningChildren threads at once) should block SIGINT and SIGTERM
// (BlockStopSignals), so that the handler never runs on a thread between its fork and its bookkeeping.
class StopForwarding {
 public:
  StopForwarding();
  ~StopForwarding();
  StopForwarding(const StopForwarding&) = delete;
  StopForwarding& operator=(const StopForwarding&) = delete;
};

// The first SIGINT or SIGTERM received while a StopForwarding lived (0: none).
int forwarded_stop_signal();

// While one lives, SIGINT and SIGTERM are blocked on this thread (threads started meanwhile inherit that);
// the old mask comes back when it goes.
class BlockStopSignals {
 public:
  BlockStopSignals();
  ~BlockStopSignals();
  BlockStopSignals(const BlockStopSignals&) = delete;
  BlockStopSignals& operator=(const BlockStopSignals&) = delete;

 private:
  sigset_t old_;
};

inline constexpr int kMaxRunningChildren = 64;

// Runs argv (argv[0]: the program's path, not looked up in PATH) with stdin from /dev/null and stdout and
// stderr into `log` (emptied first, or appended to), and waits for it. Returns its exit status, or 128 + the
// signal that ended it. Throws std::runtime_error naming the file when the log cannot be opened or the
// program cannot be started. Starts nothing when a stop signal was already received (returns 128 + it).
// The child starts with the signal mask the process had when the StopForwarding was made (or the caller's).
int run_child(const std::vector<std::string>& argv, const std::string& log, bool append);

}  // namespace ml
