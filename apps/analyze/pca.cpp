// ml-analyze pca A.npy [--components 3] [--projections FILE]
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "analysis/matrix_io.h"
#include "analysis/pca.h"
#include "apps/analyze/common.h"
#include "apps/analyze/subcommands.h"
#include "base/atomic_file.h"

namespace ml::analyze {

int cmd_pca(int argc, char** argv) {
  std::string input, labels_path, projections;
  int components = 3;
  const Subcommand sub{
      "pca",
      "PCA of A's rows (features centred): explained variance ratio per component,\n"
      "participation ratio (sum l)^2 / sum l^2, components for 90/95/99% of the variance.\n"
      "CSV columns: model, layer, component (empty for whole-spectrum metrics), metric, value.\n"
      "The projections on the first --components go to --projections (model, layer, row,\n"
      "label, pc1, pc2, ...).\n\n"
      "  ml-analyze pca acts/bp/fc1.npy --out pca_fc1.csv\n",
      {{"input", "A.npy", "A.npy, N x features", &input}},
      {}};
  const auto parsed = open_subcommand(sub, argc, argv, [&](cxxopts::Options& o) {
    // clang-format off
    o.add_options()
      ("components", "components to project on", cxxopts::value(components)->default_value("3"))
      ("projections", "write the projections CSV to FILE (default with --out: OUT's name + _projections.csv)",
         cxxopts::value(projections))
      ("labels", "labels for the projections CSV (default: labels.npy beside A, if there)",
         cxxopts::value(labels_path));
    // clang-format on
  });
  if (!parsed) return 0;
  const Common& c = parsed->common;
  if (components < 0) throw std::invalid_argument("--components must be >= 0");
  Timer timer;
  const Eigen::MatrixXd x = ml::load_matrix_npy(input);
  timer.lap("read");
  const ml::PcaResult r = ml::pca(x, components);
  timer.lap("compute");
  const std::string model = c.model.empty() ? model_of_file(input) : c.model;
  const std::string layer = c.layer.empty() ? layer_of_file(input) : c.layer;
  const std::string key = csv_field(model) + ',' + csv_field(layer) + ',';
  std::ostringstream csv;
  csv << "model,layer,component,metric,value\n";
  csv << key << ",participation_ratio," << fmt(r.participation_ratio) << '\n';
  csv << key << ",components_90," << r.components_90 << '\n';
  csv << key << ",components_95," << r.components_95 << '\n';
  csv << key << ",components_99," << r.components_99 << '\n';
  csv << key << ",total_variance," << fmt(r.variances.sum()) << '\n';
  for (Eigen::Index i = 0; i < r.explained_ratio.size(); ++i)
    csv << key << i + 1 << ",explained_variance_ratio," << fmt(r.explained_ratio(i)) << '\n';
  emit_csv(c, csv.str());
  const std::string proj_path = projections.empty() && !c.out.empty() ? beside(c.out, "_projections.csv") : projections;
  if (!proj_path.empty()) {
    if (labels_path.empty()) labels_path = recorded_beside(input, &ActsDir::labels);
    std::vector<int64_t> labels;
    if (!labels_path.empty()) {
      labels = ml::load_labels_npy(labels_path);
      if (static_cast<Eigen::Index>(labels.size()) != x.rows())
        throw std::invalid_argument(labels_path + " has " + std::to_string(labels.size()) + " labels but " + input +
                                    " has " + std::to_string(x.rows()) + " rows");
    }
    std::ostringstream p;
    p << "model,layer,row,label";
    for (Eigen::Index k = 0; k < r.projections.cols(); ++k) p << ",pc" << k + 1;
    p << '\n';
    for (Eigen::Index i = 0; i < r.projections.rows(); ++i) {
      p << key << i << ',' << (labels.empty() ? std::string() : std::to_string(labels[static_cast<size_t>(i)]));
      for (Eigen::Index k = 0; k < r.projections.cols(); ++k) p << ',' << fmt(r.projections(i, k));
      p << '\n';
    }
    ml::write_text_atomically(proj_path, p.str());
  }
  timer.lap("write");
  if (c.time) std::fprintf(stderr, "ml-analyze pca: %s\n", timer.report().c_str());
  return 0;
}

}  // namespace ml::analyze
