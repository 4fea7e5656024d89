#include "study/report_similarity.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "study/svg_plot.h"

namespace ml {
namespace {

std::string cell(const SimilarityRow* r) {
  if (!r || !std::isfinite(r->value)) return "-";
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.3f [%.3f, %.3f]", r->value, r->ci_low, r->ci_high);
  return buf;
}

const char* measure_title(const std::string& m) {
  if (m == "debiased_cka") return "Debiased linear CKA (the study's CKA)";
  if (m == "linear_cka") return "Biased linear CKA (inflated when features outnumber probe images; for comparison)";
  return "RSA: Spearman correlation of the correlation-distance RDMs";
}

}  // namespace

void render_similarity_to_bp(HtmlReport& report, const SimilarityToBp& s, const MatchedAccuracy& matched) {
  report.heading("Different from backprop? Similarity to bp against the bp-seed ceiling");
  if (s.layers.empty()) {
    report.paragraph("Needs at least 2 bp runs (seeds) with the same recorded layers: " +
                     std::to_string(s.bp_seeds) + " here.");
    return;
  }
  report.paragraph(
      "Each cell: the mean over the pairs of the variant's seeds and bp's " + std::to_string(s.bp_seeds) +
      " seeds, seed s never paired with bp's seed s (they start from the same weights; two bp seeds never do), with its 95% bootstrap interval over the probe images (" + std::to_string(s.draws) +
      " resamples; the same resampled images for every run). The <b>ceiling</b> row is the same measure between "
      "two bp seeds: how alike two backprop networks that differ only in their seed are. A variant <b>differs</b> "
      "(&#9660;) at a layer only where its interval lies wholly below the ceiling's. The intervals cover the choice "
      "of probe images, not the choice of seeds; analysis/noise_ceiling.csv and analysis/similarity_to_bp.csv hold "
      "every number.");
  std::vector<std::string> variants;
  for (const auto& r : s.to_bp)
    if (std::find(variants.begin(), variants.end(), r.model) == variants.end()) variants.push_back(r.model);
  for (const auto& m : s.measures) {
    report.heading(measure_title(m), 3);
    std::vector<std::string> header{"run"};
    for (const auto& l : s.layers) header.push_back(l);
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> ceiling{"bp seeds (ceiling)"};
    for (const auto& l : s.layers) ceiling.push_back(cell(s.ceiling(l, m)));
    rows.push_back(ceiling);
    for (const auto& v : variants) {
      std::vector<std::string> row{v};
      for (const auto& l : s.layers) {
        const SimilarityRow* r = s.find_to_bp(l, m, v);
        row.push_back(cell(r) + (r && s.differs(*r) ? " ▼" : ""));
      }
      rows.push_back(row);
    }
    report.table(header, rows);
  }
  if (!matched.bp_run.empty()) {
    report.heading("At matched accuracy: debiased CKA to bp's snapshot of the closest validation accuracy", 3);
    report.paragraph("Each run (seed 1) against the snapshot of " + html_escape(matched.bp_run) +
                     " whose validation accuracy is closest to the run's: a rule that has merely learned less looks "
                     "like early bp here, one that learned different features does not. Intervals: " +
                     std::to_string(matched.draws) + " bootstrap resamples of the probe images.");
    std::vector<std::string> header{"run", "bp snapshot (epoch)", "val acc: run / bp"};
    for (const auto& l : s.layers) header.push_back(l);
    std::vector<std::vector<std::string>> rows;
    for (const auto& v : variants) {
      const MatchedRow* first = matched.find(s.layers.front(), "debiased_cka", v);
      if (!first) continue;
      char acc[64];
      std::snprintf(acc, sizeof acc, "%.3f / %.3f", first->model_val_acc, first->bp_val_acc);
      std::vector<std::string> row{v, first->bp_snapshot, acc};
      for (const auto& l : s.layers) {
        const MatchedRow* m = matched.find(l, "debiased_cka", v);
        char buf[96] = "-";
        if (m) std::snprintf(buf, sizeof buf, "%.3f [%.3f, %.3f]", m->value, m->ci_low, m->ci_high);
        row.push_back(buf);
      }
      rows.push_back(row);
    }
    report.table(header, rows);
  }
  report.heading("Read out (debiased CKA)", 3);
  std::string list = "<ul>\n";
  for (const auto& r : s.to_bp) {
    if (r.measure != "debiased_cka") continue;
    std::string sentence = similarity_sentence(s, r);
    if (const MatchedRow* m = matched.find(r.layer, r.measure, r.model)) {
      char buf[160];
      std::snprintf(buf, sizeof buf, " At matched accuracy (bp at epoch %s, val %.3f; %s %.3f): %.3f [%.3f, %.3f].",
                    m->bp_snapshot.c_str(), m->bp_val_acc, m->model.c_str(), m->model_val_acc, m->value, m->ci_low,
                    m->ci_high);
      sentence += buf;
    }
    list += "<li>" + html_escape(sentence) + "</li>\n";
  }
  report.paragraph(list + "</ul>");
}

}  // namespace ml
