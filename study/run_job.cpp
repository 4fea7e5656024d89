#include "study/run_job.h"

#include <filesystem>
#include <stdexcept>

#include "base/child_process.h"
#include "study/done_marker.h"

namespace ml {

namespace fs = std::filesystem;

JobOutcome run_job(const StudyJob& job) {
  using Status = JobOutcome::Status;
  auto interrupted = [] { return JobOutcome{Status::Interrupted, forwarded_stop_signal(), ""}; };
  auto failed = [](const std::string& why) { return JobOutcome{Status::Failed, 0, why}; };
  try {
    std::error_code ec;
    fs::create_directories(job.dir, ec);
    if (ec) return failed(job.dir + ": cannot create directory: " + ec.message());
    auto run = [](const JobProgram& p) { return run_child(p.argv, p.log, p.append); };

    // As the shell line: resume a training state if there is one, else (or when that fails) train afresh.
    int trained = -1;
    if (fs::exists(job.state, ec)) {
      trained = run(job.resume);
      if (forwarded_stop_signal()) return interrupted();
    }
    if (trained != 0) {
      trained = run(job.train);
      if (forwarded_stop_signal()) return interrupted();
    }
    if (!fs::exists(job.trained, ec))
      return failed("ml-train exited with status " + std::to_string(trained) + "; see " + job.train.log);

    for (const JobProgram& p : job.record) {
      if (!p.only_if.empty() && !fs::exists(p.only_if, ec)) continue;
      const int status = run(p);
      if (forwarded_stop_signal()) return interrupted();
      if (status != 0) return failed("ml-record exited with status " + std::to_string(status) + "; see " + p.log);
    }
    // A training that failed but left a model diverged: it keeps its last good epoch, fewer than planned.
    write_done_marker(RunDir(job.dir), job.key, trained != 0);
  } catch (const std::exception& e) {
    if (forwarded_stop_signal()) return interrupted();
    return failed(e.what());
  }
  return {};
}

}  // namespace ml
