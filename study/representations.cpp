#include "study/representations.h"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include "datasets/npy.h"
#include "engine/atomic_file.h"
#include "engine/checkpoint.h"
#include "study/png_image.h"
#include "study/svg_plot.h"

namespace ml {

namespace {

using Matrix = Eigen::MatrixXd;

// One run's view of one layer: what every comparison below needs, from one
// pass over the N x D activations (D can be tens of thousands, N is the probe).
struct LayerStats {
  Matrix centered_gram;     // H X X^T H (features centred over the probe images)
  std::vector<double> rdm;  // correlation distance 1 - r between images, N x N
};

LayerStats layer_stats(const std::string& path, int64_t expected_rows) {
  const NpyArray a = read_npy(path);
  if (a.shape.size() != 2) throw std::runtime_error(path + ": expected an N x features matrix");
  if (a.rows() != expected_rows)
    throw std::runtime_error(path + ": " + std::to_string(a.rows()) + " rows, the other runs have " +
                             std::to_string(expected_rows) + " (recorded with another --probe?)");
  const Eigen::Index n = a.rows(), d = a.cols();
  Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> x(a.data.data(), n, d);
  for (Eigen::Index i = 0; i < n; ++i) {
    if (!x.row(i).allFinite()) throw std::runtime_error(path + ": row " + std::to_string(i) + " holds NaN or Inf");
  }
  Matrix gram = Matrix::Zero(n, n);
  gram.selfadjointView<Eigen::Lower>().rankUpdate(x);
  gram = gram.selfadjointView<Eigen::Lower>();
  const Eigen::VectorXd row_sum = x.rowwise().sum();

  LayerStats s;
  // Pearson r between images i and j over features: (G_ij - s_i s_j / D) / sqrt(ss_i ss_j).
  s.rdm.resize(static_cast<size_t>(n * n));
  Eigen::VectorXd ss(n);
  for (Eigen::Index i = 0; i < n; ++i) ss[i] = std::max(0.0, gram(i, i) - row_sum[i] * row_sum[i] / d);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < n; ++j) {
      const double denom = std::sqrt(ss[i] * ss[j]);
      const double r = denom > 0 ? (gram(i, j) - row_sum[i] * row_sum[j] / d) / denom : 0.0;
      s.rdm[static_cast<size_t>(i * n + j)] = i == j ? 0.0 : 1.0 - r;
    }
  }
  // Centring the features is centring the Gram matrix on both sides.
  const Eigen::VectorXd col_mean = gram.colwise().mean();
  const double all_mean = col_mean.mean();
  s.centered_gram = gram;
  s.centered_gram.rowwise() -= col_mean.transpose();
  s.centered_gram.colwise() -= col_mean;
  s.centered_gram.array() += all_mean;
  return s;
}

double linear_cka(const Matrix& k, const Matrix& l) {
  const double kl = (k.array() * l.array()).sum(), kk = k.squaredNorm(), ll = l.squaredNorm();
  return kk > 0 && ll > 0 ? kl / std::sqrt(kk * ll) : NAN;
}

// (sum lambda)^2 / sum lambda^2 of the covariance, = tr(K)^2 / ||K||_F^2.
double participation_ratio(const Matrix& k) {
  const double tr = k.trace(), f = k.squaredNorm();
  return f > 0 ? tr * tr / f : NAN;
}

// Ranks 1..n, ties given their average rank.
std::vector<double> ranks(const std::vector<double>& v) {
  std::vector<size_t> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    for (size_t k = i; k <= j; ++k) r[order[k]] = 0.5 * static_cast<double>(i + j) + 1.0;
    i = j + 1;
  }
  return r;
}

double pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = static_cast<double>(a.size());
  double ma = 0, mb = 0;
  for (size_t i = 0; i < a.size(); ++i) ma += a[i], mb += b[i];
  ma /= n, mb /= n;
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ab += (a[i] - ma) * (b[i] - mb), aa += (a[i] - ma) * (a[i] - ma), bb += (b[i] - mb) * (b[i] - mb);
  }
  return aa > 0 && bb > 0 ? ab / std::sqrt(aa * bb) : NAN;
}

std::vector<double> upper_triangle(const std::vector<double>& m, int64_t n) {
  std::vector<double> u;
  u.reserve(static_cast<size_t>(n * (n - 1) / 2));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = i + 1; j < n; ++j) u.push_back(m[static_cast<size_t>(i * n + j)]);
  }
  return u;
}

// Classical MDS of an M x M distance matrix to 2-D.
std::vector<std::array<double, 2>> mds_2d(const Matrix& dist) {
  const Eigen::Index m = dist.rows();
  Matrix b = -0.5 * dist.array().square().matrix();
  const Eigen::VectorXd mean = b.colwise().mean();
  b.rowwise() -= mean.transpose();
  b.colwise() -= mean;
  b.array() += mean.mean();
  Eigen::SelfAdjointEigenSolver<Matrix> eig(b);
  std::vector<std::array<double, 2>> xy(static_cast<size_t>(m));
  for (Eigen::Index i = 0; i < m; ++i) {
    for (int c = 0; c < 2 && c < m; ++c) {
      const Eigen::Index col = m - 1 - c;  // eigenvalues ascend
      xy[static_cast<size_t>(i)][static_cast<size_t>(c)] = eig.eigenvectors()(i, col) * std::sqrt(std::max(0.0, eig.eigenvalues()[col]));
    }
  }
  return xy;
}

// The N x N RDM averaged in blocks to at most `side` x `side` (the probe is
// grouped by class, so blocks stay within a class).
std::vector<double> block_average(const std::vector<double>& m, int64_t n, int side, int* out_side) {
  const int64_t block = (n + side - 1) / side;
  const int64_t s = (n + block - 1) / block;
  std::vector<double> out(static_cast<size_t>(s * s), 0.0), count(static_cast<size_t>(s * s), 0.0);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      out[static_cast<size_t>(i / block * s + j / block)] += m[static_cast<size_t>(i * n + j)];
      count[static_cast<size_t>(i / block * s + j / block)] += 1;
    }
  }
  for (size_t k = 0; k < out.size(); ++k) out[k] /= count[k];
  *out_side = static_cast<int>(s);
  return out;
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

void representation_sections(HtmlReport& report, const std::vector<RunData>& all_runs, const std::string& dir) {
  namespace fs = std::filesystem;
  // One seed per comparison (the first): the matrices compare rules, not repeats.
  std::vector<const RunData*> runs;
  for (const auto& r : all_runs) {
    if (r.seed == all_runs.front().seed && !r.layers.empty()) runs.push_back(&r);
  }
  report.heading("Representations: what the rules learned, layer by layer");
  if (runs.size() < 1) {
    report.paragraph("No recorded activations.");
    return;
  }
  std::vector<std::string> layers = runs.front()->layers;
  for (const RunData* r : runs) {
    std::erase_if(layers, [&](const std::string& l) {
      return std::find(r->layers.begin(), r->layers.end(), l) == r->layers.end();
    });
  }
  const int64_t n = read_npy(runs.front()->acts_dir() + "/labels.npy").rows();
  const size_t m = runs.size(), nl = layers.size();
  std::vector<std::vector<LayerStats>> stats(m, std::vector<LayerStats>(nl));
  for (size_t l = 0; l < nl; ++l) {
    for (size_t r = 0; r < m; ++r) stats[r][l] = layer_stats(runs[r]->acts_dir() + "/" + layers[l] + ".npy", n);
  }
  std::vector<std::string> names;
  for (const RunData* r : runs) names.push_back(r->name);
  const auto bp = std::find_if(runs.begin(), runs.end(), [](const RunData* r) { return r->rule == "bp"; });
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
    std::vector<std::vector<double>> upper_ranks(m);
    for (size_t r = 0; r < m; ++r) upper_ranks[r] = ranks(upper_triangle(stats[r][l].rdm, n));
    for (size_t a = 0; a < m; ++a) {
      for (size_t b = a; b < m; ++b) {
        cka[l](a, b) = cka[l](b, a) = linear_cka(stats[a][l].centered_gram, stats[b][l].centered_gram);
        rsa[l](a, b) = rsa[l](b, a) = pearson(upper_ranks[a], upper_ranks[b]);  // Spearman
      }
    }
    for (size_t a = 0; a < m; ++a) {
      for (size_t b = 0; b < m; ++b) {
        cka_csv << layers[l] << ',' << names[a] << ',' << names[b] << ",linear_cka," << cka[l](a, b) << '\n';
        rsa_csv << layers[l] << ',' << names[a] << ',' << names[b] << ",rdm_spearman," << rsa[l](a, b) << '\n';
      }
      pca_csv << names[a] << ',' << layers[l] << ",participation_ratio,"
              << participation_ratio(stats[a][l].centered_gram) << '\n';
    }
  }

  // Q2 in one table: each rule's similarity to backprop per layer.
  if (bp_index < m) {
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
          const double v = linear_cka(stats[r][a].centered_gram, stats[bp_index][b].centered_gram);
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
      const Matrix dist = (1.0 - rsa[l].array()).max(0.0).matrix();
      const auto xy = mds_2d(dist);
      LinePlot p{"MDS " + layers[l], "dimension 1", "dimension 2", {}, 330, 260};
      for (size_t r = 0; r < m; ++r) {
        p.series.push_back({names[r], {xy[r][0]}, {xy[r][1]}});
        mds_csv << layers[l] << ',' << names[r] << ',' << xy[r][0] << ',' << xy[r][1] << '\n';
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
      for (size_t l = 0; l < nl; ++l) row.push_back(fixed2(participation_ratio(stats[r][l].centered_gram)));
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
      int side = 0;
      const auto small = block_average(stats[r][l].rdm, n, 100, &side);
      const std::string png = dir + "/plots/rdm_" + plot_name(names[r]) + "_" + plot_name(layers[l]) + ".png";
      write_matrix_png(png, small, side, side, 0.0, 2.0, 1);
      report.png_file(png, names[r] + " " + layers[l], 110);
    }
    report.end_row();
  }

  report.heading("First-layer filters", 3);
  report.begin_row();
  for (const RunData* r : runs) {
    const Checkpoint ck = load_safetensors(r->dir + "/model.safetensors");
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
}

}  // namespace ml
