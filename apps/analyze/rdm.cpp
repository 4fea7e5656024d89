// ml-analyze rdm A.npy --distance correlation|euclidean|cosine [--by-class]
#include <algorithm>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "analysis/heatmap_png.h"
#include "analysis/matrix_io.h"
#include "analysis/rdm.h"
#include "apps/analyze/common.h"
#include "apps/analyze/subcommands.h"

namespace ml::analyze {

int cmd_rdm(int argc, char** argv) {
  std::string input, distance = "correlation", labels_path, precision = "auto";
  const Subcommand sub{
      "rdm",
      "The representational dissimilarity matrix of A's rows (rsatoolbox's definitions):\n"
      "correlation 1 - r, euclidean squared distance / features, cosine 1 - cos.\n"
      "CSV: summary rows (conditions, mean/min/max dissimilarity); the matrix goes to --npy\n"
      "and the heatmap to --png.\n\n"
      "  ml-analyze rdm acts/bp/relu3.npy --by-class --out rdm_relu3.csv\n",
      {{"input", "A.npy", "A.npy, N x features", &input}},
      {.matrix_out = true, .picture = true}};
  const auto parsed = open_subcommand(sub, argc, argv, [&](cxxopts::Options& o) {
    // clang-format off
    o.add_options()
      ("distance", "correlation, euclidean or cosine", cxxopts::value(distance)->default_value(distance))
      ("by-class", "average the rows of each class first (an RDM of classes)")
      ("labels", "class labels for --by-class (default: labels.npy beside A)", cxxopts::value(labels_path));
    // clang-format on
    add_precision_flag(o, precision);
  });
  if (!parsed) return 0;
  const Common& c = parsed->common;
  const ml::RdmDistance dist = ml::parse_rdm_distance(distance);
  use_mixed(precision, 0);  // validates the name before the input is read
  Timer timer;
  Eigen::MatrixXd x = ml::load_matrix_npy(input);
  const bool by_class = parsed->args.count("by-class") > 0;
  std::vector<int64_t> classes;
  if (by_class) {
    if (labels_path.empty()) labels_path = recorded_beside(input, &ActsDir::labels);
    if (labels_path.empty()) throw std::invalid_argument("--by-class needs --labels (no labels.npy beside " + input + ")");
    const std::vector<int64_t> labels = ml::load_labels_npy(labels_path);
    if (static_cast<Eigen::Index>(labels.size()) != x.rows())
      throw std::invalid_argument(labels_path + " has " + std::to_string(labels.size()) + " labels but " + input +
                                  " has " + std::to_string(x.rows()) + " rows");
    timer.lap("read");
    x = ml::class_means(x, labels, &classes);
  } else {
    timer.lap("read");
  }
  const Eigen::Index bad = ml::first_undefined_row(x, dist);
  if (bad >= 0) {
    const std::string row = by_class ? "the mean row of class " + std::to_string(classes[static_cast<size_t>(bad)])
                                     : "row " + std::to_string(bad);
    throw std::invalid_argument(input + ": " + row + " " + ml::undefined_row_reason(dist) + ", so its " +
                                ml::rdm_distance_name(dist) + " distance to the others is undefined");
  }
  const bool mixed = use_mixed(precision, static_cast<double>(x.rows()) * static_cast<double>(x.rows()) *
                                              static_cast<double>(x.cols()) / 2,
                               dist != ml::RdmDistance::euclidean);
  const Eigen::MatrixXd rdm = ml::compute_rdm(x, dist, mixed);
  timer.lap("compute");
  const std::string model = c.model.empty() ? model_of_file(input) : c.model;
  const std::string layer = c.layer.empty() ? layer_of_file(input) : c.layer;
  const Eigen::Index n = rdm.rows();
  double sum = 0, lo = n > 1 ? rdm(0, 1) : 0, hi = lo;
  for (Eigen::Index j = 1; j < n; ++j)
    for (Eigen::Index i = 0; i < j; ++i) sum += rdm(i, j), lo = std::min(lo, rdm(i, j)), hi = std::max(hi, rdm(i, j));
  const double pairs = static_cast<double>(n) * static_cast<double>(n - 1) / 2;
  const std::string prefix = "rdm_" + ml::rdm_distance_name(dist) + (by_class ? "_by_class" : "");
  std::ostringstream csv;
  const std::string key = csv_field(model) + ',' + csv_field(layer) + ',';
  csv << "model,layer,metric,value\n";
  csv << key << prefix << "_conditions," << n << '\n';
  csv << key << prefix << "_features," << x.cols() << '\n';
  if (n > 1) {
    csv << key << prefix << "_mean," << fmt(sum / pairs) << '\n';
    csv << key << prefix << "_min," << fmt(lo) << '\n';
    csv << key << prefix << "_max," << fmt(hi) << '\n';
  }
  emit_csv(c, csv.str());
  const std::string npy = default_beside_out(c.npy, c, ".npy"), png = default_beside_out(c.png, c, ".png");
  if (!npy.empty()) ml::write_matrix_npy(npy, rdm);
  if (!png.empty()) ml::write_heatmap_png(png, rdm, 0.0, std::max(hi, 1e-300));
  timer.lap("write");
  if (c.time) std::fprintf(stderr, "ml-analyze rdm: %s\n", timer.report().c_str());
  return 0;
}

}  // namespace ml::analyze
