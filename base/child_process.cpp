#include "base/child_process.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace ml {
namespace {

// Read and written by the signal handler and by the threads that run children: lock-free atomics, which
// are async-signal-safe.
std::atomic<int> g_signal{0};  // the first stop signal received
// The running children's process groups, one slot per child (0: free, -1: claimed, not yet started).
std::atomic<int> g_group[kMaxRunningChildren];
// Set once the first stop signal has been passed on to the slot's child (by the handler, or by the thread
// that started the child when the handler ran before the slot held its group): never twice.
std::atomic<int> g_first_sent[kMaxRunningChildren];
// The handler is reading the slot: its group must not be reaped (its id reused) meanwhile.
std::atomic<int> g_reading[kMaxRunningChildren];
bool g_forwarding = false;  // a StopForwarding lives
sigset_t g_start_mask;      // the mask a child starts with while one lives
struct sigaction g_old_int, g_old_term;

static_assert(std::atomic<int>::is_always_lock_free, "the signal handler needs lock-free atomics");

void on_stop_signal(int sig) {
  const int saved = errno;
  int none = 0;
  const bool first = g_signal.compare_exchange_strong(none, sig);
  for (int i = 0; i < kMaxRunningChildren; ++i) {
    g_reading[i].fetch_add(1);
    const int group = g_group[i].load();
    if (group > 0 && (!first || g_first_sent[i].exchange(1) == 0)) kill(-static_cast<pid_t>(group), sig);
    g_reading[i].fetch_sub(1);
  }
  errno = saved;
}

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

void install(int sig, struct sigaction& old) {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(sig, &sa, &old);
  if (old.sa_handler == SIG_IGN) sigaction(sig, &old, nullptr);  // e.g. a background job's SIGINT
}

std::string errno_text(int e) { return std::strerror(e); }

// A file descriptor closed on every path out.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

}  // namespace

StopForwarding::StopForwarding() {
  g_signal = 0;
  pthread_sigmask(SIG_BLOCK, nullptr, &g_start_mask);
  install(SIGINT, g_old_int);
  install(SIGTERM, g_old_term);
  g_forwarding = true;
}

StopForwarding::~StopForwarding() {
  g_forwarding = false;
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
}

int forwarded_stop_signal() { return g_signal.load(); }

BlockStopSignals::BlockStopSignals() {
  const sigset_t stops = stop_signals();
  pthread_sigmask(SIG_BLOCK, &stops, &old_);
}

BlockStopSignals::~BlockStopSignals() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }

namespace {

// A slot of g_group claimed for one child, freed on every path out.
struct GroupSlot {
  int index = -1;
  GroupSlot() {
    for (int i = 0; i < kMaxRunningChildren && index < 0; ++i) {
      int free = 0;
      if (g_group[i].compare_exchange_strong(free, -1)) index = i;
    }
    if (index < 0) throw std::runtime_error("run_child: more than " + std::to_string(kMaxRunningChildren) +
                                            " children at once");
    g_first_sent[index] = 0;
  }
  // The child is running: from now on the handler passes signals on to it. A first signal that came while
  // the slot was not yet filled is passed on here.
  void hold(pid_t group) {
    g_group[index] = static_cast<int>(group);
    const int sig = g_signal.load();
    if (sig != 0 && g_first_sent[index].exchange(1) == 0) kill(-group, sig);
  }
  // Before the child is reaped: the handler no longer uses its group id.
  void release() {
    if (index < 0) return;
    g_group[index] = 0;
    while (g_reading[index].load() != 0) std::this_thread::yield();
    index = -1;
  }
  ~GroupSlot() { release(); }
};

}  // namespace

int run_child(const std::vector<std::string>& argv, const std::string& log, bool append) {
  if (argv.empty()) throw std::invalid_argument("run_child: no program");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  Fd out, null_in, report_r, report_w;
  out.fd = open(log.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);
  if (out.fd < 0) throw std::runtime_error(log + ": cannot open (" + errno_text(errno) + ")");
  null_in.fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_in.fd < 0) throw std::runtime_error("/dev/null: cannot open (" + errno_text(errno) + ")");
  // The child writes exec's errno here; a successful exec closes it (close-on-exec) unwritten. Made
  // close-on-exec at once: a child another thread starts meanwhile must not hold its write end open.
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0)
    throw std::runtime_error("cannot start " + argv[0] + ": pipe (" + errno_text(errno) + ")");
  report_r.fd = report[0];
  report_w.fd = report[1];

  GroupSlot slot;
  // On this thread, stop signals wait until the child's group is in its slot. (Threads that run children
  // block them throughout; the thread that handles them is covered by GroupSlot::hold.)
  const sigset_t stops = stop_signals();
  sigset_t old_mask;
  pthread_sigmask(SIG_BLOCK, &stops, &old_mask);
  if (g_forwarding && g_signal != 0) {
    pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    return 128 + g_signal;
  }
  const sigset_t child_mask = g_forwarding ? g_start_mask : old_mask;
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    const int e = errno;
    pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    throw std::runtime_error("cannot start " + argv[0] + ": fork (" + errno_text(e) + ")");
  }
  if (pid == 0) {  // the child: async-signal-safe calls only until exec
    setpgid(0, 0);
#ifdef __linux__
    // The request holds across exec; a parent gone before it was made is checked right after. (On Linux
    // "parent" is the thread that forked: it waits for the child below, so it outlives it.)
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(128 + SIGTERM);
#endif
    if (g_forwarding) {  // not the forwarding handler for a signal that arrives before exec
      struct sigaction dfl;
      std::memset(&dfl, 0, sizeof dfl);
      dfl.sa_handler = SIG_DFL;
      sigemptyset(&dfl.sa_mask);
      if (g_old_int.sa_handler != SIG_IGN) sigaction(SIGINT, &dfl, nullptr);
      if (g_old_term.sa_handler != SIG_IGN) sigaction(SIGTERM, &dfl, nullptr);
    }
    pthread_sigmask(SIG_SETMASK, &child_mask, nullptr);
    dup2(null_in.fd, 0);
    dup2(out.fd, 1);
    dup2(out.fd, 2);
    execv(args[0], args.data());
    const int e = errno;
    ssize_t ignored = write(report_w.fd, &e, sizeof e);
    (void)ignored;
    _exit(127);
  }
  setpgid(pid, pid);  // also here: whichever of the two runs first
  slot.hold(pid);
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);  // a signal received meanwhile is passed on now
  close(report_w.fd);
  report_w.fd = -1;
  int exec_errno = 0;
  ssize_t got;
  do got = read(report_r.fd, &exec_errno, sizeof exec_errno);
  while (got < 0 && errno == EINTR);

  // Waited for without reaping, so that its pid (the group's id) is not reused while the handler may use it.
  siginfo_t info;
  while (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
  }
  pthread_sigmask(SIG_BLOCK, &stops, &old_mask);
  slot.release();
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (got == static_cast<ssize_t>(sizeof exec_errno))
    throw std::runtime_error(argv[0] + ": cannot run (" + errno_text(exec_errno) + ")");
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 128;
}

}  // namespace ml
