#include "training/progress_line.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ml {

std::string format_duration(double s) {
  const long t = std::lround(std::max(0.0, s));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  return buf;
}

ProgressLine::ProgressLine(bool wanted) : shown_(wanted && isatty(STDERR_FILENO)) {}

void ProgressLine::setting_up(const std::string& rule) {
  if (shown_) std::fprintf(stderr, "\rsetting up --rule %s ...", rule.c_str());
  last_print_ = std::chrono::steady_clock::now();
}

void ProgressLine::set_up(const std::string& rule) {
  if (shown_) std::fprintf(stderr, "\r%*s\r", static_cast<int>(rule.size()) + 24, "");
}

void ProgressLine::pretrained(int pass, int passes) {
  if (shown_) std::fprintf(stderr, "\rfeedback pre-training %d/%d done   ", pass, passes);
}

void ProgressLine::epoch_started() { last_print_ = std::chrono::steady_clock::now(); }

void ProgressLine::batch(int epoch, int epochs, int b, int batches, double mean_loss, double rate, double eta_seconds) {
  if (!shown_) return;
  const auto now = std::chrono::steady_clock::now();
  if (std::chrono::duration<double>(now - last_print_).count() <= 0.25 && b != batches) return;
  last_print_ = now;
  std::fprintf(stderr, "\repoch %d/%d  batch %d/%d  loss %.4f  %.0f samples/s  ETA %s   ", epoch, epochs, b, batches,
               mean_loss, rate, format_duration(eta_seconds).c_str());
  std::fflush(stderr);
}

void ProgressLine::end_line() {
  if (shown_) std::fprintf(stderr, "\n");
}

void ProgressLine::epoch_done(const EpochMetrics& m, int epochs) {
  if (shown_) std::fprintf(stderr, "\r\033[K");
  char val[64] = "";
  if (!std::isnan(m.val_acc)) std::snprintf(val, sizeof val, "  val loss %.4f acc %.4f", m.val_loss, m.val_acc);
  std::fprintf(stderr, "epoch %d/%d  train loss %.4f acc %.4f%s  test loss %.4f acc %.4f  %.1f s  %.0f samples/s\n",
               m.epoch, epochs, m.train_loss, m.train_acc, val, m.test_loss, m.test_acc, m.seconds, m.samples_per_s);
}

void ProgressLine::selected(const EpochMetrics& at, const EpochMetrics& last) {
  std::fprintf(stderr, "val-selected epoch %d (val acc %.4f): test acc %.4f (final epoch %d: %.4f)\n", at.epoch,
               at.val_acc, at.test_acc, last.epoch, last.test_acc);
}

}  // namespace ml
