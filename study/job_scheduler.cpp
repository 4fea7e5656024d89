#include "study/job_scheduler.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "base/child_process.h"
#include "study/done_marker.h"
#include "study/run_job.h"

namespace ml {

int default_parallel_jobs(bool gpu, unsigned cores) {
  if (!gpu) return 1;
  return static_cast<int>(std::clamp(cores / 2, 1u, 12u));
}

int threads_per_job(int parallel, unsigned cores) {
  return std::max(1, static_cast<int>(cores) / std::max(parallel, 1));
}

std::string clock_text(double seconds) {
  const long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

namespace {

using Clock = std::chrono::steady_clock;

// The jobs to run now: those not finished. A changed run's folder is removed first.
std::vector<size_t> unfinished(const std::vector<StudyJob>& jobs) {
  std::vector<size_t> todo;
  for (size_t i = 0; i < jobs.size(); ++i) {
    const DoneCheck check = check_done_marker(RunDir(jobs[i].dir), jobs[i].key);
    if (check.state == DoneState::Changed) {
      std::fprintf(stderr, "ml-study: %s; running %s again\n", check.why.c_str(), jobs[i].name.c_str());
      std::error_code ec;
      std::filesystem::remove_all(jobs[i].dir, ec);
      if (ec) throw std::runtime_error(jobs[i].dir + ": cannot remove: " + ec.message());
    }
    if (check.state != DoneState::Done) todo.push_back(i);
  }
  if (todo.size() < jobs.size())
    std::fprintf(stderr, "ml-study: %zu of %zu runs already finished, resuming\n", jobs.size() - todo.size(),
                 jobs.size());
  return todo;
}

// What the workers share: the next job to take, the counts and the result, under one lock.
struct Board {
  Board(const std::vector<StudyJob>& all, const std::vector<size_t>& unfinished_jobs, int at_once)
      : jobs(all), todo(unfinished_jobs), parallel(at_once) {}
  const std::vector<StudyJob>& jobs;
  const std::vector<size_t>& todo;
  const int parallel;
  const Clock::time_point start = Clock::now();
  std::mutex lock;
  size_t next = 0, started = 0, finished = 0;
  JobsResult result;

  std::string eta() const {  // under the lock
    if (finished == 0 || finished == todo.size()) return "";
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    return "  eta " + clock_text(elapsed / static_cast<double>(finished) * static_cast<double>(todo.size() - finished));
  }

  // The next job to run (nullptr: none left, or a stop signal came).
  const StudyJob* take() {
    std::lock_guard<std::mutex> hold(lock);
    if (next >= todo.size() || forwarded_stop_signal() || result.signal) return nullptr;
    const StudyJob* job = &jobs[todo[next++]];
    ++started;
    std::fprintf(stderr, "ml-study: [%zu/%zu] %s: training and recording%s\n", started, todo.size(),
                 job->name.c_str(), eta().c_str());
    return job;
  }

  void finish(const StudyJob& job, const JobOutcome& outcome) {
    std::lock_guard<std::mutex> hold(lock);
    if (outcome.status == JobOutcome::Status::Interrupted) {
      result.signal = outcome.signal;
      result.interrupted.push_back(job.name);
      return;
    }
    ++finished;
    ++result.ran;
    if (outcome.status == JobOutcome::Status::Failed) {
      ++result.failed;
      std::fprintf(stderr, "ml-study: run %s failed: %s\n", job.name.c_str(), outcome.problem.c_str());
    } else if (parallel > 1) {
      std::fprintf(stderr, "ml-study: %s finished (%zu of %zu)%s\n", job.name.c_str(), finished, todo.size(),
                   eta().c_str());
    }
  }
};

void work(Board& board) {
  while (const StudyJob* job = board.take()) board.finish(*job, run_job(*job));
}

}  // namespace

JobsResult run_jobs(const std::vector<StudyJob>& jobs, int parallel) {
  if (parallel < 1) throw std::invalid_argument("run_jobs: parallel must be at least 1");
  std::vector<size_t> todo = unfinished(jobs);
  if (parallel > 1)
    std::stable_sort(todo.begin(), todo.end(), [&](size_t a, size_t b) { return jobs[a].cost > jobs[b].cost; });
  Board board(jobs, todo, parallel);
  const StopForwarding forwarding;  // on this thread: the workers block the stop signals
  if (parallel == 1) {
    work(board);
  } else {
    std::vector<std::thread> workers;
    {
      const BlockStopSignals blocked;  // the workers inherit the blocked mask
      const size_t n = std::min<size_t>({static_cast<size_t>(parallel), todo.size(),
                                         static_cast<size_t>(kMaxRunningChildren)});
      for (size_t w = 0; w < n; ++w) workers.emplace_back(work, std::ref(board));
    }
    for (auto& t : workers) t.join();
  }
  JobsResult result = board.result;
  if (!result.signal) result.signal = forwarded_stop_signal();
  result.wall_seconds = std::chrono::duration<double>(Clock::now() - board.start).count();
  return result;
}

}  // namespace ml
