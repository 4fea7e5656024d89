// Learning-rate schedules. The rate is a function of the position in training
// alone (epoch, batch), so a resumed run sets the same rates as one never
// interrupted, and the schedule needs no saved state.
#pragma once
#include <string>

namespace ml {

enum class LrSchedule {
  Constant,  // --lr throughout
  Cosine,    // --lr * (1 + cos(pi t / T)) / 2 over the T batches of the run (Loshchilov & Hutter 2017, no restarts)
};

// "constant" or "cosine"; throws std::invalid_argument naming --lr-schedule and the value otherwise.
LrSchedule parse_lr_schedule(const std::string& name);

// The rate for batch `batch` (0-based) of epoch `epoch` (1-based) in a run of
// `epochs` epochs of `batches` batches each.
float scheduled_lr(LrSchedule s, float base_lr, int epoch, int batch, int epochs, int batches);

}  // namespace ml
