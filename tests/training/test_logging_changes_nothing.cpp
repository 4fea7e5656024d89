// Logging, alignment, estimator statistics and checkpoints must never change a
// number of the run (training/logging_changes_nothing.h), on the CPU.
#include "training/logging_changes_nothing.h"

TEST_CASE("alignment, estimator statistics and checkpoints leave every rule's training unchanged", "[train][logging]") {
  ml_test::check_logging_changes_nothing("cpu");
}
