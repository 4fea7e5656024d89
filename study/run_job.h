// One study job run by ml-study itself: its programs (study/plan.h) started as
// children that end with ml-study (base/child_process.h), the same steps as the
// job's shell line, then its done marker (study/done_marker.h) written.
#pragma once
#include <string>

#include "study/plan.h"

namespace ml {

struct JobOutcome {
  enum class Status { Done, Failed, Interrupted };
  Status status = Status::Done;
  int signal = 0;       // Interrupted: the stop signal ml-study received
  std::string problem;  // Failed: one line, naming the log to read
};

// Runs the job's programs one after the other. A stop signal (SIGINT, SIGTERM) received while a
// StopForwarding lives is passed on to the running program; the job then ends Interrupted, starting
// nothing more (its training state stays for the next run to resume from).
JobOutcome run_job(const StudyJob& job);

}  // namespace ml
