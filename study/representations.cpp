#include "study/representations.h"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include "analysis/cka.h"
#include "analysis/gram.h"
#include "analysis/heatmap_png.h"
#include "analysis/matrix_io.h"
#include "analysis/mds.h"
#include "analysis/pca.h"
#include "analysis/rdm.h"
#include "analysis/rdm_compare.h"
#include "datasets/npy.h"
#include "base/atomic_file.h"
#include "engine/checkpoint.h"
#include "study/png_image.h"
#include "study/svg_plot.h"

namespace ml {

namespace {

using Matrix = Eigen::MatrixXd;

// One run's view of one layer, from one read of its N x D activations (D can
// be tens of thousands, N is the probe): the Gram matrix every CKA needs, the
// RDM, and the participation ratio.
struct LayerStats {
  Matrix gram;  // X X^T; each CKA centres it (gram_cka)
  Matrix rdm;   // correlation distance; empty when undefined (an image with constant activations)
  std::vector<double> rdm_ranks;  // its upper triangle's average ranks, sorted once for every Spearman pair
  double participation_ratio = NAN;
  std::string rdm_problem;
};

LayerStats layer_stats(const std::string& path, int64_t expected_rows) {
  const Matrix x = load_matrix_npy(path);
  if (x.rows() != expected_rows)
    throw std::runtime_error(path + ": " + std::to_string(x.rows()) + " rows, the other runs have " +
                             std::to_string(expected_rows) + " (recorded with another --probe?)");
  LayerStats s;
  // One N x N product serves all three: CKA centres it, the correlation RDM and
  // the participation ratio are read off it (analysis/rdm.h, analysis/pca.h).
  s.gram = row_gram(x);
  try {
    s.rdm = correlation_rdm_from_gram(s.gram, x.rowwise().mean(), x.cols());
    s.rdm_ranks = average_ranks(upper_triangle(s.rdm));
  } catch (const std::invalid_argument& e) {
    s.rdm_problem = e.what();
  }
  s.participation_ratio = participation_ratio_from_gram(s.gram);  // NaN for constant activations
  return s;
}

double rdm_similarity(const LayerStats& a, const LayerStats& b) {
  if (a.rdm.size() == 0 || b.rdm.size() == 0) return NAN;
  return pearson_correlation(a.rdm_ranks, b.rdm_ranks);  // Spearman's rho
}

std::string fixed2(double v) {
  if (!std::isfinite(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string plot_name(const std::string& s) {
  std::string out;
  for (char ch : s) out += std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' ? ch : '_';
  return out;
}

}  // namespace

RepresentationSummary representation_sections(HtmlReport& report, const std::vector<RunData>& all_runs,
                                              const std::string& dir) {
  RepresentationSummary summary;
  namespace fs = std::filesystem;
  // One seed per comparison (the first): the matrices compare rules, not repeats.
  std::vector<const RunData*> runs;
  for (const auto& r : all_runs) {
    if (r.seed == all_runs.front().seed && !r.layers.empty()) runs.push_back(&r);
  }
  report.heading("Representations: what the rules learned, layer by layer");
  if (runs.size() < 1) {
    report.paragraph("No recorded activations.");
    return summary;
  }
  // Layer by layer needs the same layers: the layers most runs share (the seed
  // LeNet's) decide; runs of another architecture (bptt's PCN) are compared in
  // the accuracy sections only.
  std::vector<std::string> first_layers = runs.front()->layers;
  size_t most = 0;
  for (const RunData* r : runs) {
    const auto same = static_cast<size_t>(
        std::count_if(runs.begin(), runs.end(), [&](const RunData* o) { return o->layers == r->layers; }));
    if (same > most) most = same, first_layers = r->layers;
  }
  std::vector<std::string> other_arch;
  std::erase_if(runs, [&](const RunData* r) {
    const bool other = r->layers != first_layers;
    if (other) other_arch.push_back(r->name);
    return other;
  });
  if (!other_arch.empty()) {
    std::string list;
    for (const auto& name : other_arch) list += (list.empty() ? "" : ", ") + name;
    report.paragraph(html_escape("Not in the layer-by-layer comparisons (another architecture, other layers): " + list + "."));
  }
  const std::vector<std::string>& layers = first_layers;
  const int64_t n = read_npy(runs.front()->acts().labels()).rows();
  const size_t m = runs.size(), nl = layers.size();
  std::vector<std::vector<LayerStats>> stats(m, std::vector<LayerStats>(nl));
  for (size_t l = 0; l < nl; ++l) {
    for (size_t r = 0; r < m; ++r) stats[r][l] = layer_stats(runs[r]->acts().layer(layers[l]), n);
  }
  std::vector<std::string> names;
  for (const RunData* r : runs) names.push_back(r->name);
  const auto bp = std::find_if(runs.begin(), runs.end(), [](const RunData* r) {
    return r->rule == "bp" && (r->conv1.empty() || r->conv1 == "learned");
  });
  const size_t bp_index = bp == runs.end() ? m : static_cast<size_t>(bp - runs.begin());

  std::ostringstream cka_csv, rsa_csv, pca_csv, layer_csv, mds_csv;
  cka_csv << "layer,model,other_model,metric,value\n";
  rsa_csv << "layer,model,other_model,metric,value\n";
  pca_csv << "model,layer,metric,value\n";
  layer_csv << "model,layer,bp_layer,metric,value\n";
  mds_csv << "layer,model,x,y\n";
  cka_csv.precision(8), rsa_csv.precision(8), pca_csv.precision(8), layer_csv.precision(8), mds_csv.precision(8);

  std::vector<Matrix> cka(nl, Matrix::Zero(m, m)), rsa(nl, Matrix::Zero(m, m));
  for (size_t l = 0; l < nl; ++l) {
    for (size_t a = 0; a < m; ++a) {
      for (size_t b = a; b < m; ++b) {
        cka[l](a, b) = cka[l](b, a) = gram_cka(stats[a][l].gram, stats[b][l].gram, false);
        rsa[l](a, b) = rsa[l](b, a) = rdm_similarity(stats[a][l], stats[b][l]);
      }
    }
    for (size_t a = 0; a < m; ++a) {
      for (size_t b = 0; b < m; ++b) {
        cka_csv << layers[l] << ',' << names[a] << ',' << names[b] << ",linear_cka," << cka[l](a, b) << '\n';
        rsa_csv << layers[l] << ',' << names[a] << ',' << names[b] << ",rdm_spearman," << rsa[l](a, b) << '\n';
      }
      pca_csv << names[a] << ',' << layers[l] << ",participation_ratio," << stats[a][l].participation_ratio << '\n';
    }
  }

  // Q2 in one table: each rule's similarity to backprop per layer.
  if (bp_index < m) {
    for (size_t r = 0; r < m; ++r) {
      double sum = 0;
      int count = 0;
      for (size_t l = 0; l + 1 < nl; ++l) {  // the last recorded layer is the logits
        if (layers[l] == "input") continue;
        sum += cka[l](r, bp_index);
        ++count;
        if (r == 0) summary.hidden_layers += (summary.hidden_layers.empty() ? "" : ", ") + layers[l];
      }
      summary.mean_cka_to_bp.push_back({names[r], count ? sum / count : NAN});
    }
    report.heading("Similarity to backprop per layer", 3);
    report.paragraph(
        "Linear CKA (Kornblith et al. 2019) between each rule's network and the backprop network on the same " +
        std::to_string(n) +
        " probe images, per recorded layer (1: the same representation up to rotation and scale). "
        "<code>input</code> is the pixels, identical for every run.");
    Heatmap h{"linear CKA with bp", {}, layers, {}, 0, 1, true, 38};
    for (size_t r = 0; r < m; ++r) {
      h.row_labels.push_back(names[r]);
      for (size_t l = 0; l < nl; ++l) h.values.push_back(cka[l](r, bp_index));
    }
    Heatmap g = h;
    g.title = "RDM Spearman with bp";
    g.values.clear();
    for (size_t r = 0; r < m; ++r) {
      for (size_t l = 0; l < nl; ++l) g.values.push_back(rsa[l](r, bp_index));
    }
    report.begin_row();
    report.svg(svg_heatmap(h));
    report.svg(svg_heatmap(g));
    report.end_row();
  }

  report.heading("Between every pair of runs", 3);
  report.paragraph("Per layer: linear CKA (top) and the Spearman correlation of the runs' correlation-distance RDMs "
                   "(bottom, representational similarity analysis).");
  report.begin_row();
  for (size_t l = 0; l < nl; ++l) {
    Heatmap h{"CKA " + layers[l], names, names, {}, 0, 1, m <= 12, 30};
    for (size_t a = 0; a < m; ++a) {
      for (size_t b = 0; b < m; ++b) h.values.push_back(cka[l](a, b));
    }
    report.svg(svg_heatmap(h));
  }
  report.end_row();
  report.begin_row();
  for (size_t l = 0; l < nl; ++l) {
    Heatmap h{"RDM Spearman " + layers[l], names, names, {}, 0, 1, m <= 12, 30};
    for (size_t a = 0; a < m; ++a) {
      for (size_t b = 0; b < m; ++b) h.values.push_back(rsa[l](a, b));
    }
    report.svg(svg_heatmap(h));
  }
  report.end_row();

  // Which layers of a rule's network match which of backprop's.
  if (bp_index < m) {
    report.heading("Layer-to-layer CKA with backprop", 3);
    report.paragraph("Rows: the rule's layers; columns: backprop's layers. A bright diagonal means the rule builds "
                     "the same hierarchy; brightness off the diagonal shows a layer doing another depth's job.");
    report.begin_row();
    for (size_t r = 0; r < m; ++r) {
      if (r == bp_index) continue;
      Heatmap h{names[r] + " vs bp", layers, layers, {}, 0, 1, nl <= 8, 30};
      for (size_t a = 0; a < nl; ++a) {
        for (size_t b = 0; b < nl; ++b) {
          const double v = gram_cka(stats[r][a].gram, stats[bp_index][b].gram, false);
          h.values.push_back(v);
          layer_csv << names[r] << ',' << layers[a] << ',' << layers[b] << ",linear_cka," << v << '\n';
        }
      }
      report.svg(svg_heatmap(h));
    }
    report.end_row();
  }

  // The second-order picture: runs placed by how alike their RDMs are.
  if (m >= 3) {
    report.heading("Which rules learn alike (MDS of the RDM similarities)", 3);
    report.begin_row();
    for (size_t l = 0; l < nl; ++l) {
      if (layers[l] == "input") continue;
      if (!rsa[l].allFinite()) continue;
      const Matrix xy = classical_mds((1.0 - rsa[l].array()).max(0.0).matrix(), 2).coordinates;
      LinePlot p{"MDS " + layers[l], "dimension 1", "dimension 2", {}, 330, 260};
      for (size_t r = 0; r < m; ++r) {
        const auto i = static_cast<Eigen::Index>(r);
        p.series.push_back({names[r], {xy(i, 0)}, {xy(i, 1)}});
        mds_csv << layers[l] << ',' << names[r] << ',' << xy(i, 0) << ',' << xy(i, 1) << '\n';
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
      for (size_t l = 0; l < nl; ++l) row.push_back(fixed2(stats[r][l].participation_ratio));
      rows.push_back(row);
    }
    std::vector<std::string> header{"run"};
    header.insert(header.end(), layers.begin(), layers.end());
    report.paragraph("(sum of covariance eigenvalues)^2 / sum of their squares, over the probe images: how many "
                     "dimensions a layer's code effectively uses.");
    report.table(header, rows);
  }

  // RDM pictures, probe grouped by class so the class blocks show on the diagonal.
  report.heading("RDMs (correlation distance, probe images grouped by class)", 3);
  fs::create_directories(dir + "/plots");
  for (size_t l = 0; l < nl; ++l) {
    report.begin_row();
    for (size_t r = 0; r < m; ++r) {
      if (stats[r][l].rdm.size() == 0) {
        report.paragraph(html_escape(names[r] + " " + layers[l] + ": no RDM (" + stats[r][l].rdm_problem + ")"));
        continue;
      }
      const std::string png = dir + "/plots/rdm_" + plot_name(names[r]) + "_" + plot_name(layers[l]) + ".png";
      write_heatmap_png(png, stats[r][l].rdm, 0.0, 2.0, 100, 100);  // block-averaged to 100 x 100
      report.png_file(png, names[r] + " " + layers[l], 110);
    }
    report.end_row();
  }

  report.heading("First-layer filters", 3);
  report.begin_row();
  for (const RunData* r : runs) {
    const Checkpoint ck = load_safetensors(RunDir(r->dir).model());
    const Tensor* w = ck.find("conv1.weight");
    if (!w || w->ndim() != 4) continue;
    const std::string png = dir + "/plots/filters_" + plot_name(r->name) + ".png";
    write_filter_grid_png(png, w->to_vector(), w->dim(0), w->dim(1), w->dim(2), 8);
    report.png_file(png, r->name + " conv1", 0);
  }
  report.end_row();

  write_text_atomically(dir + "/analysis/cka.csv", cka_csv.str());
  write_text_atomically(dir + "/analysis/rdm_similarity.csv", rsa_csv.str());
  write_text_atomically(dir + "/analysis/pca.csv", pca_csv.str());
  write_text_atomically(dir + "/analysis/cka_layers_vs_bp.csv", layer_csv.str());
  write_text_atomically(dir + "/analysis/mds.csv", mds_csv.str());
  return summary;
}

}  // namespace ml
