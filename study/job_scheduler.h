// Runs a study's jobs that are not finished yet (study/run_job.h), one after the other or several at
// once: each job on its own thread, its programs children of ml-study that end with it. A stop signal
// reaches every running program; the jobs not started stay for the next run to do.
#pragma once
#include <string>
#include <vector>

#include "study/plan.h"

namespace ml {

struct JobsResult {
  int failed = 0;
  int signal = 0;                      // the stop signal (SIGINT, SIGTERM) that interrupted them; 0: none
  std::vector<std::string> interrupted;  // the runs it stopped while they ran
  double wall_seconds = 0;             // from the first job's start to the last one's end
  int ran = 0;                         // jobs run now (not already finished)
};

// How many jobs at once when --jobs is left out: one on a CPU (each run's OpenMP threads already use the
// cores); on a GPU one per two cores up to 12, since a LeNet run keeps a GPU far from busy.
int default_parallel_jobs(bool gpu, unsigned cores);

// The CPU threads each run gets when `parallel` run at once on `cores`: at least 1.
int threads_per_job(int parallel, unsigned cores);

// Runs the unfinished jobs, at most `parallel` (>= 1) at once: one at a time in plan order; several at
// once the costliest first (StudyJob::cost; plan order among equals), so that the slowest run does not
// start last. A run whose files
// are no longer what its done marker vouches for is said so and trained again from nothing. Writes a
// progress line to stderr as each job starts and ends.
JobsResult run_jobs(const std::vector<StudyJob>& jobs, int parallel);

// "m:ss" (minutes may exceed 59).
std::string clock_text(double seconds);

}  // namespace ml
