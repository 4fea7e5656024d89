// Backprop: the error goes back through each layer's own weight (W^T).
#include "rules/bp.h"

#include "rules/registry.h"

namespace ml {

// lr 0.01, constant: PyTorch's MNIST example's SGD setting, the baseline every rule is compared with.
ML_REGISTER_RULE(bp, {.name = "bp",
                      .order = 10,
                      .training_defaults = {{"lr", "0.01"}},
                      .make = [](const FlagValues&) -> std::unique_ptr<LearningRule> {
                        return std::make_unique<Backprop>();
                      }})

}  // namespace ml
