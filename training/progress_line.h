// The progress line ml-train keeps on stderr while it trains (only when
// stderr is a terminal and progress is on): setup, feedback pre-training,
// epoch/batch/loss/throughput/ETA, rewritten in place; and the epoch summary
// line, always.
#pragma once
#include <chrono>
#include <string>

#include "training/train_state.h"

namespace ml {

class ProgressLine {
 public:
  explicit ProgressLine(bool wanted);  // shown when wanted and stderr is a terminal
  bool shown() const { return shown_; }

  void setting_up(const std::string& rule);  // before a rule's attach, which may take minutes
  void set_up(const std::string& rule);
  void pretrained(int pass, int passes);
  void epoch_started();
  // At most 4 times a second (and at an epoch's last batch).
  void batch(int epoch, int epochs, int b, int batches, double mean_loss, double rate, double eta_seconds);
  void end_line();  // before a message of its own line
  // The epoch's summary, one line, shown or not.
  void epoch_done(const EpochMetrics& m, int epochs);
  // After the last epoch, with a validation split: the epoch it selects and the test figure there.
  void selected(const EpochMetrics& at, const EpochMetrics& last);

 private:
  bool shown_;
  std::chrono::steady_clock::time_point last_print_;
};

std::string format_duration(double seconds);  // "h:mm:ss"

}  // namespace ml
