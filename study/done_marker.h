// A study run's `done` marker: the job's key (what the job does), then the size
// and FNV-1a 64 checksum of each file the finished run vouches for (config.json,
// metrics.csv, model.safetensors, model_best.safetensors when there, every file
// of acts/), so that a run changed after it finished (a program left writing
// into it, a file edited or lost) is seen and run again instead of reported.
// A marker holding only the key (the shell line of --plan writes that) vouches
// for no file and is taken at its word.
#pragma once
#include <string>

#include "training/run_dir.h"

namespace ml {

enum class DoneState {
  Missing,   // no marker: not finished
  OtherJob,  // a marker for another key: the job's settings changed
  Changed,   // a marker for this key whose files are not what it vouches for
  Done,
};

struct DoneCheck {
  DoneState state = DoneState::Missing;
  std::string why;  // Changed: one line naming the file
};

DoneCheck check_done_marker(const RunDir& run, const std::string& key);

// Writes the marker for the run in `run` (atomically). stopped_early: training ended before its last epoch
// (it diverged) and that is expected; otherwise config.json's epochs must be metrics.csv's last epoch row.
// Throws std::runtime_error naming the file that is missing, unreadable or disagrees.
void write_done_marker(const RunDir& run, const std::string& key, bool stopped_early);

}  // namespace ml
