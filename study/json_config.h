// The JSON files ml-study reads back: a run's config.json (written by
// ml-train) and the study's study.json (written by ml-study). Parsed from
// text here, apart from the file reading, so that both can be fuzzed.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ml {

// What collecting a run needs from its config.json.
struct RunConfig {
  std::string rule;
  std::string conv1;  // the first layer's embedding ("learned" or empty: trained by the rule)
  uint64_t seed = 1;  // ml-train's --seed
  int epochs_planned = 0, batches_per_epoch = 0;
};

// What collecting a study needs from its study.json.
struct StudyIndex {
  std::vector<std::string> runs;  // run names: folders under DIR/runs
  std::vector<std::string> rules;
  std::string preset, data, human, human_counts;
  int epochs = 0, limit = 0, probe = 0, seeds = 1;
};

// Both throw std::runtime_error with one line starting "path: " for text that
// is not JSON, a missing key, a value of the wrong type or out of range, or
// (study.json) a run name that is not a plain folder name.
RunConfig parse_run_config(const std::string& text, const std::string& path);
StudyIndex parse_study_index(const std::string& text, const std::string& path);

}  // namespace ml
