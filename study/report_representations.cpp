// The report's representation sections, drawn from what
// compare_representations computed and wrote (study/representations.h).
#include <cmath>
#include <cstdio>

#include "study/report_html.h"
#include "study/representations.h"
#include "study/svg_plot.h"

namespace ml {

namespace {

std::string fixed2(double v) {
  if (!std::isfinite(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

// Runs x runs, one per layer: CKA or RDM similarity between every pair of runs.
void pairwise_heatmaps(HtmlReport& report, const RepresentationComparison& c,
                       const std::vector<Eigen::MatrixXd>& per_layer, const std::string& title) {
  const size_t m = c.runs.size();
  report.begin_row();
  for (size_t l = 0; l < c.layers.size(); ++l) {
    Heatmap h{title + " " + c.layers[l], c.runs, c.runs, {}, 0, 1, m <= 12, 30};
    for (size_t a = 0; a < m; ++a) {
      for (size_t b = 0; b < m; ++b) h.values.push_back(per_layer[l](a, b));
    }
    report.svg(svg_heatmap(h));
  }
  report.end_row();
}

}  // namespace

void render_representations(HtmlReport& report, const RepresentationComparison& c) {
  report.heading("Representations: what the rules learned, layer by layer");
  if (c.runs.empty()) {
    report.paragraph("No recorded activations.");
    return;
  }
  if (!c.other_architecture.empty()) {
    std::string list;
    for (const auto& name : c.other_architecture) list += (list.empty() ? "" : ", ") + name;
    report.paragraph(
        html_escape("Not in the layer-by-layer comparisons (another architecture, other layers): " + list + "."));
  }
  const std::vector<std::string>& names = c.runs;
  const std::vector<std::string>& layers = c.layers;
  const size_t m = names.size(), nl = layers.size();

  // Q2 in one table: each rule's similarity to backprop per layer.
  if (c.bp) {
    report.heading("Similarity to backprop per layer", 3);
    report.paragraph(
        "Debiased linear CKA (Kornblith et al. 2019 with Song et al.'s unbiased HSIC) between each rule's network and the backprop network on the same " +
        std::to_string(c.probe_images) +
        " probe images, per recorded layer (1: the same representation up to rotation and scale). "
        "<code>input</code> is the pixels, identical for every run.");
    Heatmap h{"debiased CKA with bp", {}, layers, {}, 0, 1, true, 38};
    for (size_t r = 0; r < m; ++r) {
      h.row_labels.push_back(names[r]);
      for (size_t l = 0; l < nl; ++l) h.values.push_back(c.cka[l](r, *c.bp));
    }
    Heatmap g = h;
    g.title = "RDM Spearman with bp";
    g.values.clear();
    for (size_t r = 0; r < m; ++r) {
      for (size_t l = 0; l < nl; ++l) g.values.push_back(c.rdm_similarity[l](r, *c.bp));
    }
    report.begin_row();
    report.svg(svg_heatmap(h));
    report.svg(svg_heatmap(g));
    report.end_row();
  }

  report.heading("Between every pair of runs", 3);
  report.paragraph("Per layer: debiased linear CKA (top) and the Spearman correlation of the runs' correlation-distance RDMs "
                   "(bottom, representational similarity analysis).");
  pairwise_heatmaps(report, c, c.cka, "CKA");
  pairwise_heatmaps(report, c, c.rdm_similarity, "RDM Spearman");
  if (!c.constant_rows.empty()) {
    std::string list;
    for (const auto& where : c.constant_rows) list += (list.empty() ? "" : "; ") + where;
    report.paragraph(html_escape(
        "Images with constant activations (all zero after a ReLU, typically), whose correlation distance is "
        "undefined: " + list + ". Their distance to every other image is taken as 1 (correlation 0) in the RDMs, "
        "the RSA and the noise ceilings, so no layer drops out; read those layers' RSA with that in mind."));
  }

  if (c.bp) {
    report.heading("Layer-to-layer CKA with backprop", 3);
    report.paragraph("Rows: the rule's layers; columns: backprop's layers. A bright diagonal means the rule builds "
                     "the same hierarchy; brightness off the diagonal shows a layer doing another depth's job.");
    report.begin_row();
    for (size_t r = 0; r < m; ++r) {
      if (r == *c.bp) continue;
      Heatmap h{names[r] + " vs bp", layers, layers, {}, 0, 1, nl <= 8, 30};
      for (size_t a = 0; a < nl; ++a) {
        for (size_t b = 0; b < nl; ++b) h.values.push_back(c.cka_vs_bp_layers[r](a, b));
      }
      report.svg(svg_heatmap(h));
    }
    report.end_row();
  }

  if (c.with_mds) {
    report.heading("Which rules learn alike (MDS of the RDM similarities)", 3);
    report.begin_row();
    for (const MdsLayout& layout : c.mds) {
      LinePlot p{"MDS " + layout.layer, "dimension 1", "dimension 2", {}, 330, 260};
      for (size_t r = 0; r < m; ++r) {
        const auto i = static_cast<Eigen::Index>(r);
        p.series.push_back({names[r], {layout.xy(i, 0)}, {layout.xy(i, 1)}, {}, {}});
      }
      report.svg(svg_line_plot(p));
    }
    report.end_row();
  }

  report.heading("Dimensionality (PCA participation ratio)", 3);
  {
    std::vector<std::vector<std::string>> rows;
    for (size_t r = 0; r < m; ++r) {
      std::vector<std::string> row{names[r]};
      for (size_t l = 0; l < nl; ++l)
        row.push_back(fixed2(c.participation_ratio(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(l))));
      rows.push_back(row);
    }
    std::vector<std::string> header{"run"};
    header.insert(header.end(), layers.begin(), layers.end());
    report.paragraph("(sum of covariance eigenvalues)^2 / sum of their squares, over the probe images: how many "
                     "dimensions a layer's code effectively uses.");
    report.table(header, rows);
  }

  report.heading("RDMs (correlation distance, probe images grouped by class)", 3);
  for (size_t l = 0; l < nl; ++l) {
    report.begin_row();
    for (size_t r = 0; r < m; ++r) {
      report.png_file(c.rdms[l][r].png, names[r] + " " + layers[l], 110);
    }
    report.end_row();
  }

  report.heading("First-layer filters", 3);
  report.begin_row();
  for (const FilterPicture& f : c.filters) report.png_file(f.png, f.run + " conv1", 0);
  report.end_row();
}

}  // namespace ml
