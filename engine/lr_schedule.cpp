#include "engine/lr_schedule.h"

#include <cmath>
#include <numbers>
#include <stdexcept>

namespace ml {

LrSchedule parse_lr_schedule(const std::string& name) {
  if (name == "constant") return LrSchedule::Constant;
  if (name == "cosine") return LrSchedule::Cosine;
  throw std::invalid_argument("--lr-schedule '" + name + "': expected constant or cosine");
}

float scheduled_lr(LrSchedule s, float base_lr, int epoch, int batch, int epochs, int batches) {
  if (s == LrSchedule::Constant) return base_lr;
  // in double: t / T must not round to 1 before the last batch of a long run
  const double t = static_cast<double>(epoch - 1) * batches + batch;
  const double total = static_cast<double>(epochs) * batches;
  return static_cast<float>(base_lr * 0.5 * (1.0 + std::cos(std::numbers::pi * t / total)));
}

}  // namespace ml
