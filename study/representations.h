// The study's representational comparisons, per recorded layer, across the
// runs: RDMs, RDM similarity between runs, CKA between runs (same layer) and
// between every layer of a rule's network and every layer of backprop's,
// PCA participation ratios, and the second-order MDS picture of which rules
// learn alike. CSVs go to DIR/analysis, PNGs to DIR/plots.
#pragma once
#include <string>
#include <vector>

#include "study/report_html.h"
#include "study/run_data.h"

namespace ml {

struct RepresentationSummary {
  // Per run: linear CKA with the bp run averaged over the hidden layers (the
  // recorded layers other than the pixels and the logits); empty without bp.
  std::vector<std::pair<std::string, double>> mean_cka_to_bp;
  std::string hidden_layers;  // which layers that mean covers, comma-separated
};

RepresentationSummary representation_sections(HtmlReport& report, const std::vector<RunData>& runs,
                                              const std::string& dir);

}  // namespace ml
