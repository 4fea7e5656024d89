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
  bool whole_test_set = false;  // every test image (RunDir::test_set_acts), not the probe images
  int64_t probe_images = 0;     // the images compared
  bool with_counts = false;
  int draws = 0;
  std::vector<PeopleRun> runs;
};

// human_path: N x classes probabilities over the test set; counts_path: the same shape of counts, or empty.
// whole_test_set: the runs' recordings of every test image (RunDir::test_set_acts; a run without one is left
// out), written to DIR/analysis/human_test_set.csv, the RDM measures on the first 1,000 test images;
// else the probe images (acts/), DIR/analysis/human.csv.
// Throws std::runtime_error naming the file for a shape that does not fit the runs' images.
PeopleResults compare_runs_with_people(const std::vector<RunData>& runs, const std::string& human_path,
                                       const std::string& counts_path, const std::string& dir, int draws,
                                       bool whole_test_set = false);

// The report's section: per run every measure with its interval, the ceilings, and which runs are closest
// (and whether their intervals separate them), on the probe images and, when given, on every test image.
// `people` is empty when the study was given no human data.
void render_people(HtmlReport& report, const std::optional<PeopleResults>& people,
                   const std::optional<PeopleResults>& test_set = std::nullopt);

}  // namespace ml
