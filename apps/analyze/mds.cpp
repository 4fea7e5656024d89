// ml-analyze mds RDM.npy [--labels names.txt]
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "analysis/heatmap_png.h"
#include "analysis/matrix_io.h"
#include "analysis/mds.h"
#include "apps/analyze/common.h"
#include "apps/analyze/subcommands.h"

namespace fs = std::filesystem;

namespace ml::analyze {

int cmd_mds(int argc, char** argv) {
  std::string input, names_path;
  const Subcommand sub{
      "mds",
      "Classical multidimensional scaling of an RDM (N x N .npy) to 2-D: CSV columns model,\n"
      "layer, item, label, x, y; --png a scatter coloured by label. On an RDM of RDMs\n"
      "(models x models) it shows which rules learn alike.\n\n"
      "  ml-analyze mds rules_rdm.npy --labels rules.txt --out mds.csv\n",
      {{"input", "RDM.npy", "RDM.npy (N x N)", &input}},
      {.picture = true}};
  const auto parsed = open_subcommand(sub, argc, argv, [&](cxxopts::Options& o) {
    o.add_options()("labels",
                    "item names, one per line (N lines); also colour the scatter. Default: labels.npy beside "
                    "the RDM when it has N entries, else the item numbers",
                    cxxopts::value(names_path));
  });
  if (!parsed) return 0;
  const Common& c = parsed->common;
  Timer timer;
  const Eigen::MatrixXd d = load_square(input);
  std::vector<std::string> names;
  if (!names_path.empty()) {
    if (fs::path(names_path).extension() == ".npy") {
      for (int64_t l : ml::load_labels_npy(names_path)) names.push_back(std::to_string(l));
    } else {
      std::ifstream in(names_path);
      if (!in) throw std::invalid_argument(names_path + ": cannot open");
      for (std::string line; std::getline(in, line);) {
        while (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty()) names.push_back(line);
      }
    }
    if (static_cast<Eigen::Index>(names.size()) != d.rows())
      throw std::invalid_argument(names_path + " has " + std::to_string(names.size()) + " names but " + input +
                                  " has " + std::to_string(d.rows()) + " items");
  } else if (const std::string sib = recorded_beside(input, &ActsDir::labels); !sib.empty()) {
    const std::vector<int64_t> labels = ml::load_labels_npy(sib);
    if (static_cast<Eigen::Index>(labels.size()) == d.rows())
      for (int64_t l : labels) names.push_back(std::to_string(l));
  }
  timer.lap("read");
  const ml::MdsResult r = ml::classical_mds(d, 2);
  timer.lap("compute");
  const std::string key = csv_field(c.model.empty() ? model_of_file(input) : c.model) + ',' +
                          csv_field(c.layer.empty() ? layer_of_file(input) : c.layer) + ',';
  std::ostringstream csv;
  csv << "model,layer,item,label,x,y\n";
  std::map<std::string, int64_t> group_of;
  std::vector<int64_t> groups;
  for (Eigen::Index i = 0; i < d.rows(); ++i) {
    const std::string name = names.empty() ? std::to_string(i) : names[static_cast<size_t>(i)];
    csv << key << i << ',' << csv_field(name) << ',' << fmt(r.coordinates(i, 0)) << ','
        << fmt(r.coordinates.cols() > 1 ? r.coordinates(i, 1) : 0.0) << '\n';
    if (!names.empty()) groups.push_back(group_of.emplace(name, static_cast<int64_t>(group_of.size())).first->second);
  }
  emit_csv(c, csv.str());
  const std::string png = default_beside_out(c.png, c, ".png");
  if (!png.empty()) {
    Eigen::MatrixXd xy = Eigen::MatrixXd::Zero(d.rows(), 2);
    xy.leftCols(r.coordinates.cols()) = r.coordinates;
    ml::write_scatter_png(png, xy, groups);
  }
  timer.lap("write");
  if (c.time) std::fprintf(stderr, "ml-analyze mds: %s\n", timer.report().c_str());
  return 0;
}

}  // namespace ml::analyze
