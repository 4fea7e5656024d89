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

namespace ml {

namespace {

using Matrix = Eigen::MatrixXd;

// One run's view of one layer, from one read of its N x D activations (D can
// be tens of thousands, N is the probe): the Gram matrix every CKA needs, the
// RDM, and the participation ratio.
struct LayerStats {
  Matrix gram;  // X X^T; each CKA centres it (gram_cka)
  Matrix rdm;   // correlation distance; an image with constant activations is at 1 from every other
  std::vector<double> rdm_ranks;  // its upper triangle's average ranks, sorted once for every Spearman pair
  double participation_ratio = NAN;
  int64_t constant_rows = 0;  // images whose activations are constant (all zero after a ReLU, typically)
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
  std::vector<Eigen::Index> constant;
  s.rdm = correlation_rdm_from_gram(s.gram, x.rowwise().mean(), x.cols(), &constant);
  s.rdm_ranks = average_ranks(upper_triangle(s.rdm));
  s.constant_rows = static_cast<int64_t>(constant.size());
  s.participation_ratio = participation_ratio_from_gram(s.gram);  // NaN for constant activations
  return s;
}

double rdm_similarity(const LayerStats& a, const LayerStats& b) {
  if (a.rdm.size() == 0 || b.rdm.size() == 0) return NAN;
  return pearson_correlation(a.rdm_ranks, b.rdm_ranks);  // Spearman's rho
}

std::string plot_name(const std::string& s) {
  std::string out;
  for (char ch : s) out += std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' ? ch : '_';
  return out;
}

}  // namespace

RepresentationComparison compare_representations(const std::vector<RunData>& all_runs, const std::string& dir) {
  RepresentationComparison c;
  RepresentationSummary& summary = c.summary;
  namespace fs = std::filesystem;
  // One seed per comparison (the first): the matrices compare rules, not repeats.
  std::vector<const RunData*> runs;
  for (const auto& r : all_runs) {
    if (r.seed == all_runs.front().seed && !r.layers.empty()) runs.push_back(&r);
  }
  if (runs.size() < 1) return c;
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
  std::erase_if(runs, [&](const RunData* r) {
    const bool other = r->layers != first_layers;
    if (other) c.other_architecture.push_back(r->name);
    return other;
  });
  c.layers = first_layers;
  const std::vector<std::string>& layers = c.layers;
  const int64_t n = read_npy(runs.front()->acts().labels()).rows();
  c.probe_images = n;
  const size_t m = runs.size(), nl = layers.size();
  std::vector<std::vector<LayerStats>> stats(m, std::vector<LayerStats>(nl));
  for (size_t l = 0; l < nl; ++l) {
    for (size_t r = 0; r < m; ++r) {
      stats[r][l] = layer_stats(runs[r]->acts().layer(layers[l]), n);
      if (stats[r][l].constant_rows > 0) {
        c.constant_rows.push_back(runs[r]->name + ", " + layers[l] + ": " + std::to_string(stats[r][l].constant_rows) +
                                  " of " + std::to_string(n) + " probe images");
      }
    }
  }
  std::vector<std::string>& names = c.runs;
  for (const RunData* r : runs) names.push_back(r->name);
  const auto bp = std::find_if(runs.begin(), runs.end(), [](const RunData* r) {
    return r->rule == "bp" && (r->conv1.empty() || r->conv1 == "learned");
  });
  if (bp != runs.end()) c.bp = static_cast<size_t>(bp - runs.begin());

  std::ostringstream cka_csv, rsa_csv, pca_csv, layer_csv, mds_csv;
  cka_csv << "layer,model,other_model,metric,value\n";
  rsa_csv << "layer,model,other_model,metric,value\n";
  pca_csv << "model,layer,metric,value\n";
  layer_csv << "model,layer,bp_layer,metric,value\n";
  mds_csv << "layer,model,x,y\n";
  cka_csv.precision(8), rsa_csv.precision(8), pca_csv.precision(8), layer_csv.precision(8), mds_csv.precision(8);

  std::vector<Matrix>& cka = c.cka;
  std::vector<Matrix>& rsa = c.rdm_similarity;
  cka.assign(nl, Matrix::Zero(m, m)), rsa.assign(nl, Matrix::Zero(m, m));
  c.participation_ratio.resize(static_cast<Eigen::Index>(m), static_cast<Eigen::Index>(nl));
  // Debiased CKA is the study's CKA (the biased one is inflated when features outnumber the probe images);
  // the biased value stays in cka.csv as a second metric.
  for (size_t l = 0; l < nl; ++l) {
    Matrix biased(m, m);
    for (size_t a = 0; a < m; ++a) {
      for (size_t b = a; b < m; ++b) {
        cka[l](a, b) = cka[l](b, a) = gram_cka(stats[a][l].gram, stats[b][l].gram, true);
        biased(a, b) = biased(b, a) = gram_cka(stats[a][l].gram, stats[b][l].gram, false);
        rsa[l](a, b) = rsa[l](b, a) = rdm_similarity(stats[a][l], stats[b][l]);
      }
    }
    for (size_t a = 0; a < m; ++a) {
      for (size_t b = 0; b < m; ++b) {
        cka_csv << layers[l] << ',' << names[a] << ',' << names[b] << ",debiased_cka," << cka[l](a, b) << '\n';
        cka_csv << layers[l] << ',' << names[a] << ',' << names[b] << ",linear_cka," << biased(a, b) << '\n';
        rsa_csv << layers[l] << ',' << names[a] << ',' << names[b] << ",rdm_spearman," << rsa[l](a, b) << '\n';
      }
      pca_csv << names[a] << ',' << layers[l] << ",participation_ratio," << stats[a][l].participation_ratio << '\n';
      c.participation_ratio(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(l)) =
          stats[a][l].participation_ratio;
    }
  }

  // Q2 in one number per run: its similarity to backprop over the hidden layers.
  if (c.bp) {
    for (size_t r = 0; r < m; ++r) {
      double sum = 0;
      int count = 0;
      for (size_t l = 0; l + 1 < nl; ++l) {  // the last recorded layer is the logits
        if (layers[l] == "input") continue;
        sum += cka[l](r, *c.bp);
        ++count;
        if (r == 0) summary.hidden_layers += (summary.hidden_layers.empty() ? "" : ", ") + layers[l];
      }
      summary.mean_cka_to_bp.push_back({names[r], count ? sum / count : NAN});
    }
  }

  // Which layers of a rule's network match which of backprop's.
  c.cka_vs_bp_layers.resize(m);
  if (c.bp) {
    for (size_t r = 0; r < m; ++r) {
      if (r == *c.bp) continue;
      Matrix& v = c.cka_vs_bp_layers[r];
      v.resize(static_cast<Eigen::Index>(nl), static_cast<Eigen::Index>(nl));
      for (size_t a = 0; a < nl; ++a) {
        for (size_t b = 0; b < nl; ++b) {
          v(a, b) = gram_cka(stats[r][a].gram, stats[*c.bp][b].gram, true);
          layer_csv << names[r] << ',' << layers[a] << ',' << layers[b] << ",debiased_cka," << v(a, b) << '\n';
        }
      }
    }
  }

  // The second-order picture: runs placed by how alike their RDMs are.
  c.with_mds = m >= 3;
  if (c.with_mds) {
    for (size_t l = 0; l < nl; ++l) {
      if (layers[l] == "input") continue;
      if (!rsa[l].allFinite()) continue;
      const Matrix xy = classical_mds((1.0 - rsa[l].array()).max(0.0).matrix(), 2).coordinates;
      for (size_t r = 0; r < m; ++r) {
        const auto i = static_cast<Eigen::Index>(r);
        mds_csv << layers[l] << ',' << names[r] << ',' << xy(i, 0) << ',' << xy(i, 1) << '\n';
      }
      c.mds.push_back({layers[l], xy});
    }
  }

  // RDM pictures, probe grouped by class so the class blocks show on the diagonal.
  fs::create_directories(dir + "/plots");
  c.rdms.assign(nl, std::vector<RdmPicture>(m));
  for (size_t l = 0; l < nl; ++l) {
    for (size_t r = 0; r < m; ++r) {
      const std::string png = dir + "/plots/rdm_" + plot_name(names[r]) + "_" + plot_name(layers[l]) + ".png";
      write_heatmap_png(png, stats[r][l].rdm, 0.0, 2.0, 100, 100);  // block-averaged to 100 x 100
      c.rdms[l][r].png = png;
    }
  }

  for (const RunData* r : runs) {
    const Checkpoint ck = load_safetensors(RunDir(r->dir).model());
    const Tensor* w = ck.find("conv1.weight");
    if (!w || w->ndim() != 4) continue;
    const std::string png = dir + "/plots/filters_" + plot_name(r->name) + ".png";
    write_filter_grid_png(png, w->to_vector(), w->dim(0), w->dim(1), w->dim(2), 8);
    c.filters.push_back({r->name, png});
  }

  const std::pair<const char*, const std::ostringstream*> files[] = {
      {"cka.csv", &cka_csv}, {"rdm_similarity.csv", &rsa_csv}, {"pca.csv", &pca_csv},
      {"cka_layers_vs_bp.csv", &layer_csv}, {"mds.csv", &mds_csv}};
  for (const auto& [file, csv] : files) {
    c.csvs.push_back(dir + "/analysis/" + file);
    write_text_atomically(c.csvs.back(), csv->str());
  }
  return c;
}

}  // namespace ml
