// One tuning protocol with the same budget for every rule, bp included
// (ml-study --tune): per rule a fixed grid, the learning rate log-spaced over
// five values (the rule's default x 0.1, 0.3, 1, 3, 10) x the schedule
// {constant, cosine}, each point trained with the same short budget on the
// training images less the validation split and picked by validation
// accuracy; the test set chooses nothing. Rule settings beyond the learning
// rate and schedule keep their defaults (rules/*.cpp say why).
//
// The grid points are study runs like any other (OUT/tune/<rule>-lr<lr>-<schedule>,
// --plan writes them for a cluster); OUT/tuning.csv holds every point,
// OUT/tuned.json the pick per rule, which ml-study --settings trains with.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "study/plan.h"

namespace ml {

// The grid's learning rates for a rule, as ml-train reads them ("%g").
std::vector<std::string> tuning_learning_rates(const std::string& rule);
inline const char* const kTuningSchedules[] = {"constant", "cosine"};

// The grid points of every rule of c (embedding variants use bp's pick), seed 1, c.tune_epochs on
// c.tune_limit images, not recorded.
std::vector<StudyJob> plan_tuning(const StudyConfig& c);

// Reads the finished grid points (each at its val-selected epoch), writes OUT/tuning.csv and
// OUT/tuned.json, and returns the picks. A rule none of whose points finished gets no pick.
std::map<std::string, RuleSettings> collect_tuning(const StudyConfig& c, const std::vector<StudyJob>& jobs);

// tuned.json as collect_tuning writes it ({"bp": {"lr": "0.01", "lr_schedule": "cosine"}, ...}); throws
// std::runtime_error naming the file for one that is missing or malformed.
std::map<std::string, RuleSettings> read_settings(const std::string& path);

}  // namespace ml
