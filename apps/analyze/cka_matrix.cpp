// ml-analyze cka-matrix DIR1 DIR2: every recorded layer of one model against
// every layer of another.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "analysis/cka.h"
#include "analysis/heatmap_png.h"
#include "analysis/matrix_io.h"
#include "apps/analyze/cka_flags.h"
#include "apps/analyze/common.h"
#include "apps/analyze/subcommands.h"

namespace fs = std::filesystem;

namespace ml::analyze {
namespace {

// The layers recorded in dir: layers.txt's order when present, else every
// *.npy but labels/indices/probs, alphabetically.
std::vector<std::string> layers_in(const std::string& dir) {
  if (!fs::is_directory(dir)) throw std::invalid_argument(dir + ": not a directory");
  static const std::set<std::string> kNotLayers = {"labels", "indices", "probs"};
  std::vector<std::string> layers;
  const ActsDir acts(dir);
  const fs::path listed = acts.layer_list();
  if (fs::exists(listed)) {
    std::ifstream in(listed);
    for (std::string line; std::getline(in, line);) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      if (line.empty()) continue;
      if (!fs::exists(acts.layer(line)))
        throw std::invalid_argument(listed.string() + " lists '" + line + "' but " + line + ".npy is not in " + dir);
      layers.push_back(line);
    }
  } else {
    for (const auto& e : fs::directory_iterator(dir)) {
      if (!e.is_regular_file() || e.path().extension() != ".npy") continue;
      const std::string stem = e.path().stem().string();
      if (!kNotLayers.count(stem)) layers.push_back(stem);
    }
    std::sort(layers.begin(), layers.end());
  }
  if (layers.empty()) throw std::invalid_argument(dir + ": no layer .npy files");
  return layers;
}

}  // namespace

int cmd_cka_matrix(int argc, char** argv) {
  CkaFlags f;
  std::string dir_a, dir_b;
  const Subcommand sub{
      "cka-matrix",
      "The layer x layer CKA matrix between two recorded models: every <layer>.npy in DIR1\n"
      "against every one in DIR2 (layers in layers.txt's order when the directory has one,\n"
      "else alphabetical; labels.npy, indices.npy and probs.npy are not layers). CSV has one\n"
      "row per pair; --npy the matrix (DIR1's layers as rows); --png the heatmap (0 to 1).\n\n"
      "  ml-analyze cka-matrix runs/bp/acts runs/fa/acts --out cka_bp_fa.csv\n",
      {{"dir1", "DIR1", "DIR1", &dir_a}, {"dir2", "DIR2", "DIR2", &dir_b}},
      {.pair = true, .matrix_out = true, .picture = true}};
  const auto parsed = open_subcommand(sub, argc, argv, [&](cxxopts::Options& o) { add_cka_flags(o, f); });
  if (!parsed) return 0;
  const Common& c = parsed->common;
  finish_cka_flags(parsed->args, f);
  Timer timer;
  const std::vector<std::string> la = layers_in(dir_a), lb = layers_in(dir_b);
  std::vector<Eigen::MatrixXd> xa, xb;
  std::vector<std::string> pa, pb;
  for (const auto& l : la) pa.push_back(ActsDir(dir_a).layer(l)), xa.push_back(ml::load_matrix_npy(pa.back()));
  for (const auto& l : lb) pb.push_back(ActsDir(dir_b).layer(l)), xb.push_back(ml::load_matrix_npy(pb.back()));
  for (size_t i = 0; i < xa.size(); ++i) require_same_rows(xa[0], pa[0], xa[i], pa[i]);
  for (size_t j = 0; j < xb.size(); ++j) require_same_rows(xa[0], pa[0], xb[j], pb[j]);
  timer.lap("read");
  Eigen::MatrixXd m;
  // A layer that leaves CKA undefined (every row the same) is named by its file.
  auto undefined = [&](const ml::CkaUndefined& e, size_t i, size_t j) {
    return std::invalid_argument((e.side == 0 ? pa[i] : pb[j]) + ": " + e.what());
  };
  if (ml::parse_cka_kernel(f.kernel) == ml::CkaKernel::linear && f.minibatch == 0) {
    try {
      m = ml::linear_cka_matrix(xa, xb, f.debiased);
    } catch (const ml::CkaUndefined& e) {
      throw undefined(e, e.index, e.index);
    }
  } else {
    m.resize(static_cast<Eigen::Index>(la.size()), static_cast<Eigen::Index>(lb.size()));
    for (size_t i = 0; i < la.size(); ++i)
      for (size_t j = 0; j < lb.size(); ++j) {
        try {
          m(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = run_cka(xa[i], xb[j], f);
        } catch (const ml::CkaUndefined& e) {
          throw undefined(e, i, j);
        }
      }
  }
  timer.lap("compute");
  const std::string model_a = c.model.empty() ? model_of_dir(dir_a) : c.model;
  const std::string model_b = c.model_b.empty() ? model_of_dir(dir_b) : c.model_b;
  std::ostringstream csv;
  csv << "model,layer,model_b,layer_b,metric,value\n";
  for (size_t i = 0; i < la.size(); ++i)
    for (size_t j = 0; j < lb.size(); ++j)
      csv << csv_field(model_a) << ',' << csv_field(la[i]) << ',' << csv_field(model_b) << ',' << csv_field(lb[j])
          << ',' << cka_metric(f) << ',' << fmt(m(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)))
          << '\n';
  emit_csv(c, csv.str());
  const std::string npy = default_beside_out(c.npy, c, ".npy"), png = default_beside_out(c.png, c, ".png");
  if (!npy.empty()) ml::write_matrix_npy(npy, m);
  if (!png.empty()) ml::write_heatmap_png(png, m, 0.0, 1.0);
  timer.lap("write");
  if (c.time) std::fprintf(stderr, "ml-analyze cka-matrix: %s\n", timer.report().c_str());
  return 0;
}

}  // namespace ml::analyze
