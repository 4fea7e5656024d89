// The study's representational comparisons, per recorded layer, across the
// runs: RDMs, RDM similarity between runs, CKA between runs (same layer) and
// between every layer of a rule's network and every layer of backprop's,
// PCA participation ratios, and the second-order MDS picture of which rules
// learn alike. CSVs go to DIR/analysis, PNGs to DIR/plots; the report shows
// them with render_representations (study/report_html.h).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <Eigen/Dense>

#include "study/run_data.h"

namespace ml {

struct RepresentationSummary {
  // Per run: debiased linear CKA with the bp run averaged over the hidden layers (the
  // recorded layers other than the pixels and the logits); empty without bp.
  std::vector<std::pair<std::string, double>> mean_cka_to_bp;
  std::string hidden_layers;  // which layers that mean covers, comma-separated
};

// One run's RDM picture of one layer.
struct RdmPicture {
  std::string png;  // DIR/plots/rdm_<run>_<layer>.png
};

struct FilterPicture {
  std::string run, png;  // DIR/plots/filters_<run>.png
};

struct MdsLayout {
  std::string layer;
  Eigen::MatrixXd xy;  // runs x 2, in the order of RepresentationComparison::runs
};

// Every matrix is indexed by the runs compared (`runs`) and the layers they
// share (`layers`), in those orders.
struct RepresentationComparison {
  std::vector<std::string> runs;        // the first seed's runs with the shared layers; empty: nothing recorded
  std::vector<std::string> other_architecture;  // first-seed runs left out: other recorded layers
  // "fa, relu1: 3 of 500 probe images": where images had constant activations, whose correlation distance
  // is then taken as 1 to every other image (analysis/rdm.h), so that no layer drops out of the RSA.
  std::vector<std::string> constant_rows;
  std::vector<std::string> layers;      // the shared recorded layers, network order
  int64_t probe_images = 0;
  std::optional<size_t> bp;             // the bp run with a learned conv1, when there is one

  std::vector<Eigen::MatrixXd> cka;             // per layer: runs x runs, debiased linear CKA
  std::vector<Eigen::MatrixXd> rdm_similarity;  // per layer: runs x runs, Spearman of the RDMs (NaN: no RDM)
  std::vector<Eigen::MatrixXd> cka_vs_bp_layers;  // per run: its layers x bp's layers; empty for bp and without bp
  Eigen::MatrixXd participation_ratio;          // runs x layers
  bool with_mds = false;                        // 3 runs or more: fewer give no picture
  std::vector<MdsLayout> mds;                   // the hidden layers whose RDM similarities are all defined
  std::vector<std::vector<RdmPicture>> rdms;    // [layer][run]
  std::vector<FilterPicture> filters;           // the runs with a conv1 weight
  std::vector<std::string> csvs;                // the DIR/analysis files written

  RepresentationSummary summary;
};

// Computes the comparisons over `all_runs` (the first seed's only: the
// matrices compare rules, not repeats) and writes the CSVs and PNGs.
RepresentationComparison compare_representations(const std::vector<RunData>& all_runs, const std::string& dir);

}  // namespace ml
