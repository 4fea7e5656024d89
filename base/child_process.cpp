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

#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>

namespace ml {
namespace {

volatile std::sig_atomic_t g_signal = 0;  // the first stop signal received
volatile std::sig_atomic_t g_group = 0;   // the running child's process group (0: none)
bool g_forwarding = false;                // a StopForwarding lives
struct sigaction g_old_int, g_old_term;

void on_stop_signal(int sig) {
  const int saved = errno;
  if (g_signal == 0) g_signal = sig;
  if (g_group > 0) kill(-static_cast<pid_t>(g_group), sig);
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
  install(SIGINT, g_old_int);
  install(SIGTERM, g_old_term);
  g_forwarding = true;
}

StopForwarding::~StopForwarding() {
  g_forwarding = false;
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
}

int forwarded_stop_signal() { return g_signal; }

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
  // The child writes exec's errno here; a successful exec closes it (close-on-exec) unwritten.
  int report[2];
  if (pipe(report) != 0) throw std::runtime_error("cannot start " + argv[0] + ": pipe (" + errno_text(errno) + ")");
  report_r.fd = report[0];
  report_w.fd = report[1];
  fcntl(report_r.fd, F_SETFD, FD_CLOEXEC);
  fcntl(report_w.fd, F_SETFD, FD_CLOEXEC);

  // Stop signals wait until the child's group is known to the handler, which then passes them on.
  const sigset_t stops = stop_signals();
  sigset_t old_mask;
  pthread_sigmask(SIG_BLOCK, &stops, &old_mask);
  if (g_forwarding && g_signal != 0) {
    pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    return 128 + g_signal;
  }
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
    // The request holds across exec; a parent gone before it was made is checked right after.
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
    pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
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
  g_group = pid;
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
  g_group = 0;
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
