#include "rules/sign_symmetry.h"

#include "rules/registry.h"

namespace ml {

ML_REGISTER_RULE(sign_symmetry,
                 {.name = "sign-symmetry",
                  .order = 50,
                  .training_defaults = {{"lr", "0.01"}},
                  .flags = {{"feedback-magnitude", FlagType::Text, "uniform",
                             "uniform (uSF, sqrt(2/(fan_in+fan_out))), random (frSF, |M|, M fixed "
                             "random) or batchwise (brSF, |M|, M redrawn every batch)"}},
                  .make = [](const FlagValues& f) -> std::unique_ptr<LearningRule> {
                    return std::make_unique<SignSymmetry>(f.get_text("feedback-magnitude"));
                  }})

}  // namespace ml
