// ml-study --collect: the analyses across a study's finished runs and the
// report. Reads DIR/study.json and DIR/runs/*, writes DIR/summary.csv,
// DIR/analysis/*.csv (tidy: one row per measurement), DIR/plots/* and
// DIR/report.html (self-contained: every image inlined).
#pragma once
#include <string>

namespace ml {

// Throws std::runtime_error naming the file when the study directory has no
// study.json or no finished run.
void collect_study(const std::string& dir);

}  // namespace ml
