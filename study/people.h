// Question 3: which rule's network is closest to people? Every run's class
// probabilities on the probe images (test images) against people's judgements
// of the same images (CIFAR-10H: soft labels and, with --human-counts, the
// counts per class), with every measure of analysis/human_measures.h and its
// bootstrap interval over the images; the ceilings (two people against each
// other) from the counts. DIR/analysis/human.csv, tidy:
// model,variant,seed,metric,value,ci_low,ci_high.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "analysis/human_measures.h"
#include "study/report_html.h"
#include "study/run_data.h"

namespace ml {

struct PeopleRun {
  std::string run, variant;
  uint64_t seed = 1;
  HumanMeasures measures;
};

struct PeopleResults {
  int64_t probe_images = 0;
  bool with_counts = false;
  int draws = 0;
  std::vector<PeopleRun> runs;
};

// human_path: N x classes probabilities over the test set; counts_path: the same shape of counts, or empty.
// Throws std::runtime_error naming the file for a shape that does not fit the runs' probe images.
PeopleResults compare_runs_with_people(const std::vector<RunData>& runs, const std::string& human_path,
                                       const std::string& counts_path, const std::string& dir, int draws);

// The report's section: per run every measure with its interval, the ceilings, and which runs are closest
// (and whether their intervals separate them). `people` is empty when the study was given no human data.
void render_people(HtmlReport& report, const std::optional<PeopleResults>& people);

}  // namespace ml
