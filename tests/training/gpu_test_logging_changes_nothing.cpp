// The CUDA twin of test_logging_changes_nothing: the same runs on the GPU, where a logging
// pass that consumed a random stream or changed a rule's state would show the same way.
#include "training/logging_changes_nothing.h"

TEST_CASE("alignment, estimator statistics and checkpoints leave every rule's training unchanged (CUDA)",
          "[gpu][train][logging]") {
  ml_test::check_logging_changes_nothing("cuda");
}
