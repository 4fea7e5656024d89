// ml-analyze human MODEL_PROBS.npy HUMAN.npy [--labels L.npy] [--indices I.npy]
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "analysis/human.h"
#include "analysis/matrix_io.h"
#include "apps/analyze/common.h"
#include "apps/analyze/subcommands.h"

namespace ml::analyze {

int cmd_human(int argc, char** argv) {
  std::string model_path, human_path, labels_path, indices_path;
  const Subcommand sub{
      "human",
      "A model's class probabilities against human soft labels (e.g. CIFAR-10H's\n"
      "cifar10h-probs.npy, 10000 x 10): cross-entropy to the human distribution, agreement\n"
      "with the human majority label, and the Pearson correlation of the off-diagonal\n"
      "entries of the two row-normalised soft confusion matrices (needs the true labels).\n"
      "When HUMAN has more rows than the model (a probe set of a test set), --indices picks\n"
      "HUMAN's rows.\n\n"
      "  ml-analyze human acts/bp/probs.npy cifar10h-probs.npy\n",
      {{"model-probs", "MODEL_PROBS.npy", "MODEL_PROBS.npy, N x classes (ml-record --probs)", &model_path},
       {"human", "HUMAN.npy", "HUMAN.npy, M x classes", &human_path}},
      {}};
  const auto parsed = open_subcommand(sub, argc, argv, [&](cxxopts::Options& o) {
    // clang-format off
    o.add_options()
      ("labels", "true classes, N (default: labels.npy beside MODEL_PROBS, if there)", cxxopts::value(labels_path))
      ("indices", "HUMAN's row for each model row (default: indices.npy beside MODEL_PROBS when HUMAN has "
                  "a different row count)", cxxopts::value(indices_path));
    // clang-format on
  });
  if (!parsed) return 0;
  const Common& c = parsed->common;
  Timer timer;
  const Eigen::MatrixXd p = ml::load_matrix_npy(model_path);
  Eigen::MatrixXd h = ml::load_matrix_npy(human_path);
  if (indices_path.empty() && h.rows() != p.rows()) indices_path = recorded_beside(model_path, &ActsDir::indices);
  if (!indices_path.empty()) {
    const std::vector<int64_t> idx = ml::load_labels_npy(indices_path);
    if (static_cast<Eigen::Index>(idx.size()) != p.rows())
      throw std::invalid_argument(indices_path + " has " + std::to_string(idx.size()) + " indices but " +
                                  model_path + " has " + std::to_string(p.rows()) + " rows");
    Eigen::MatrixXd picked(p.rows(), h.cols());
    for (size_t i = 0; i < idx.size(); ++i) {
      if (idx[i] < 0 || idx[i] >= h.rows())
        throw std::invalid_argument(indices_path + ": row " + std::to_string(i) + " is index " +
                                    std::to_string(idx[i]) + ", outside " + human_path + "'s " +
                                    std::to_string(h.rows()) + " rows");
      picked.row(static_cast<Eigen::Index>(i)) = h.row(idx[i]);
    }
    h = picked;
  }
  require_same_rows(p, model_path, h, human_path);
  if (labels_path.empty()) labels_path = recorded_beside(model_path, &ActsDir::labels);
  std::vector<int64_t> labels;
  if (!labels_path.empty()) labels = ml::load_labels_npy(labels_path);
  timer.lap("read");
  const ml::HumanComparison r = ml::compare_with_humans(p, h, labels);
  timer.lap("compute");
  const std::string key = csv_field(c.model.empty() ? model_of_file(model_path) : c.model) + ',' +
                          csv_field(c.layer.empty() ? layer_of_file(model_path) : c.layer) + ',';
  std::ostringstream csv;
  csv << "model,layer,metric,value\n";
  csv << key << "images," << r.images << '\n';
  csv << key << "human_cross_entropy," << fmt(r.cross_entropy) << '\n';
  csv << key << "human_majority_agreement," << fmt(r.agreement) << '\n';
  if (!labels.empty()) csv << key << "confusion_correlation," << fmt(r.confusion_correlation) << '\n';
  emit_csv(c, csv.str());
  timer.lap("write");
  if (c.time) std::fprintf(stderr, "ml-analyze human: %s\n", timer.report().c_str());
  return 0;
}

}  // namespace ml::analyze
