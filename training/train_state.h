// The training state that ml-train --resume continues from, bit for bit: the
// weights, the rule's state, tensors and random streams, the optimizers'
// moments and step counts, where training stands (epoch, batch, the epoch's
// sums so far) and the metrics.csv / alignment.csv rows so far. The data order
// needs no saving: it is a function of (seed, epoch) (datasets/dataset.h epoch_order).
//
// One file, DIR/train_state.safetensors (training/run_dir.h), written atomically, so a kill at any
// moment leaves either the previous state or the new one, never a mix. Tensors
// are prefixed "net/", "rule/", "opt/", "rule_opt/<name>/"; the rest is JSON
// in the metadata entry "progress". model.safetensors stays what readers know.
#pragma once
#include <string>

#include "engine/network.h"
#include "engine/optimizer.h"
#include "rules/learning_rule.h"
#include "training/train_progress.h"
#include "training/train_state_check.h"

namespace ml {

// Writes path atomically. Throws std::runtime_error naming path on I/O failure.
void save_train_state(const std::string& path, Network& net, LearningRule& rule, const Optimizer& opt,
                      const TrainProgress& progress);

// Restores net, rule and opt, freshly built and attached from the same
// config, and returns the progress. Throws std::runtime_error naming path for
// a missing or malformed file, one that fails checked_train_state against `run`,
// or one that does not fit this network, rule and optimizer (a weight, a rule
// tensor or an optimizer moment missing or of another shape).
TrainProgress load_train_state(const std::string& path, const RunExtent& run, Network& net, LearningRule& rule,
                               Optimizer& opt);

// The name of the first weight or rule state tensor holding a NaN or an
// infinity ("fc1.weight"), or "" when all are finite.
std::string first_non_finite(Network& net, LearningRule& rule);

}  // namespace ml
