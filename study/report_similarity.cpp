#include "study/report_similarity.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "study/layer_measures.h"
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

std::string join(const std::vector<std::string>& measures) {
  std::string out;
  for (const auto& m : measures) out += (out.empty() ? "" : ", ") + similarity_measure_name(m);
  return out;
}

// Every measure for one variant: measures x layers, each cell the variant's value and the bp-seed ceiling's.
void render_variant_panel(HtmlReport& report, const SimilarityToBp& s, const std::string& variant) {
  report.heading(variant + ": every measure against bp, per layer", 4);
  std::vector<std::string> header{"measure"};
  for (const auto& l : s.layers) header.push_back(l);
  std::vector<std::vector<std::string>> rows;
  for (const auto& m : s.measures) {
    std::vector<std::string> row{similarity_measure_name(m)};
    for (const auto& l : s.layers) {
      const SimilarityRow* r = s.find_to_bp(l, m, variant);
      std::string text = cell(r) + (r && s.differs(*r) ? " ▼" : "");
      if (const SimilarityRow* c = s.ceiling(l, m)) text += " (ceiling " + cell(c) + ")";
      row.push_back(text);
    }
    rows.push_back(row);
  }
  report.table(header, rows);
  // The chance that a bp seed in disguise lies beyond the ceiling by a pair range: 1 / C(a + c, c).
  for (const auto& l : s.layers) {
    const SimilarityRow* r = s.find_to_bp(l, "procrustes", variant);
    const SimilarityRow* c = s.ceiling(l, "procrustes");
    if (!r || !c || r->n_pairs < 1 || c->n_pairs < 1) continue;
    double ways = 1;
    for (int k = 1; k <= c->n_pairs; ++k) ways = ways * (r->n_pairs + k) / k;
    char buf[200];
    std::snprintf(buf, sizeof buf,
                  "Range measures: %d pairs with bp against the ceiling's %d; all of them beyond the ceiling's by "
                  "chance: 1 in %.0f.",
                  r->n_pairs, c->n_pairs, ways);
    report.paragraph(buf);
    break;
  }
}

void render_disagreements(HtmlReport& report, const SimilarityToBp& s) {
  report.heading("Where the measures disagree", 3);
  const auto disagreements = measure_disagreements(s);
  if (disagreements.empty()) {
    report.paragraph("Every measure gives the same verdict (differs from bp, or not shown to) at every layer.");
    return;
  }
  report.paragraph(
      "A variant and layer that some measures call different from bp (&#9660; above) and others do not. Each "
      "measure is blind to something: CKA and Procrustes see the geometry up to rotation and scale, the CCA family "
      "any invertible linear map (so it can call two different codes alike), RSA only the order of the distances, "
      "kNN only the local neighbourhoods.");
  std::vector<std::vector<std::string>> rows;
  for (const auto& d : disagreements) rows.push_back({d.model, d.layer, join(d.differ), join(d.not_shown)});
  report.table({"run", "layer", "differs by", "not shown to differ by"}, rows);
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
    if (std::find(std::begin(kLayerMeasures), std::end(kLayerMeasures), m) == std::end(kLayerMeasures)) continue;
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
  report.heading("Every measure, per run", 3);
  report.paragraph(
      "The three measures above, then the angular Procrustes distance (radians; 0 is identical, so a variant "
      "differs when it lies <i>above</i> the ceiling), SVCCA (99% of the variance), PWCCA, the mean canonical "
      "correlation and mutual 10-nearest-neighbour overlap, each as <code>ml-analyze</code> computes it, with the "
      "layer's constant units left out. Refitting their SVDs per bootstrap resample would cost hours on conv maps, "
      "so their brackets are the <b>least and largest value over the seed pairs</b>, not a bootstrap interval: "
      "a variant differs by one of them only when every one of its pairs with bp is less alike than every pair of "
      "two bp seeds (for a variant that is a bp seed in disguise, a chance of 1 in C(a + c, c) with a pairs against "
      "the ceiling's c, pairs sharing a run aside: 1 in 84 for 3 seeds each, 6 pairs against 3). \"-\": undefined (a layer without variance).");
  for (const auto& v : variants) render_variant_panel(report, s, v);
  render_disagreements(report, s);
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

void render_over_training(HtmlReport& report, const OverTraining& o, const SimilarityToBp& s) {
  report.heading("Over training: toward bp's representation, or away?", 3);
  if (o.rows.empty()) {
    report.paragraph("No recorded snapshots (ml-study --over-training none, or fewer than 2 bp seeds).");
    return;
  }
  report.paragraph(
      "Each run's seed-1 network at its snapshots (fractions of an epoch, then epochs) against bp's final "
      "networks of the other seeds: debiased linear CKA, band: 95% bootstrap interval over the probe images (" +
      std::to_string(o.draws) + " resamples). The flat &quot;bp seeds (ceiling)&quot; line is the same measure between two final bp networks. A rule "
      "whose line rises to the ceiling converges to bp's representation; one that levels off below it, or falls, "
      "learns something else. Numbers: analysis/over_training.csv.");
  for (const auto& layer : o.layers) {
    LinePlot plot{layer + ": debiased CKA to final bp", "epoch", "debiased CKA", {}, 520, 340};
    double last_epoch = 0;
    for (const auto& r : o.rows) {
      if (r.layer != layer) continue;
      auto it = std::find_if(plot.series.begin(), plot.series.end(),
                             [&](const PlotSeries& p) { return p.label == r.model; });
      if (it == plot.series.end()) it = plot.series.insert(plot.series.end(), PlotSeries{r.model, {}, {}, {}, {}});
      it->x.push_back(r.epoch), it->y.push_back(r.value), it->low.push_back(r.ci_low), it->high.push_back(r.ci_high);
      last_epoch = std::max(last_epoch, r.epoch);
    }
    if (const SimilarityRow* c = s.ceiling(layer, "debiased_cka"))
      plot.series.push_back({"bp seeds (ceiling)", {0, last_epoch}, {c->value, c->value}, {c->ci_low, c->ci_low},
                             {c->ci_high, c->ci_high}});
    report.svg(svg_line_plot(plot));
  }
}

void render_over_cycles(HtmlReport& report, const OverCycles& o) {
  if (o.rows.empty()) return;  // no PCN or pc run recorded with --cycles
  report.heading("Over recurrent time: the PCN's cycles and pc's inference steps", 3);
  report.paragraph(
      "A recurrent network's representation after each cycle (the PCN; cycle 0 is its feedforward sweep) or each "
      "inference step (pc's value nodes, step 0 the forward pass, label clamped as in training), against bp's final "
      "networks of the other seeds: debiased linear CKA, band: 95% bootstrap interval over the probe images (" +
      std::to_string(o.draws) + " resamples). pc's value node of a layer is compared with bp's same layer, the "
      "PCN's output with each of bp's layers (\"PCN -> bp layer\"). Numbers: analysis/over_cycles.csv.");
  std::vector<std::string> runs;
  for (const auto& r : o.rows)
    if (std::find(runs.begin(), runs.end(), r.run) == runs.end()) runs.push_back(r.run);
  for (const auto& run : runs) {
    LinePlot plot{run + ": debiased CKA to final bp over recurrent time", "cycle / inference step", "debiased CKA",
                  {}, 520, 340};
    for (const auto& r : o.rows) {
      if (r.run != run) continue;
      const std::string label = r.layer == r.bp_layer ? r.layer : r.layer + " -> bp " + r.bp_layer;
      auto it = std::find_if(plot.series.begin(), plot.series.end(),
                             [&](const PlotSeries& p) { return p.label == label; });
      if (it == plot.series.end()) it = plot.series.insert(plot.series.end(), PlotSeries{label, {}, {}, {}, {}});
      it->x.push_back(r.cycle), it->y.push_back(r.value), it->low.push_back(r.ci_low), it->high.push_back(r.ci_high);
    }
    report.svg(svg_line_plot(plot));
  }
}

}  // namespace ml
