// config.json: a run's settings as it used them, written when it starts; what
// --resume checks a continued run against; and the checks of a config's values.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "datasets/dataset.h"
#include "engine/network.h"
#include "rules/learning_rule.h"
#include "training/trainer.h"

namespace ml {

// Throws std::invalid_argument naming the flag of the first bad value.
void validate_train_config(const TrainConfig& c);

nlohmann::json config_json(const TrainConfig& c, Network& net, LearningRule& rule, const Normalization& norm,
                           const DatasetPair& data, Device device);

// --resume continues only the run that the config.json at path describes: the config rebuilt now must agree
// with it on every setting that changes the numbers (else std::runtime_error naming the setting).
void check_same_run(const std::string& path, const nlohmann::json& now);

}  // namespace ml
