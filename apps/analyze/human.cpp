// ml-analyze human MODEL_PROBS.npy HUMAN.npy [--counts C.npy] [--labels L.npy] [--indices I.npy]
//   [--bootstrap B] [--boot-seed S] [--split-seed S] [--rdm-images N]
#include <cstdint>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "analysis/human_measures.h"
#include "analysis/matrix_io.h"
#include "apps/analyze/bootstrap_flags.h"
#include "apps/analyze/common.h"
#include "apps/analyze/subcommands.h"

namespace ml::analyze {

namespace {

// The rows idx of m (a row of the human file per model row); an index outside m is named.
Eigen::MatrixXd pick_rows(const Eigen::MatrixXd& m, const std::string& path, const std::vector<int64_t>& idx,
                          const std::string& indices_path) {
  Eigen::MatrixXd picked(static_cast<Eigen::Index>(idx.size()), m.cols());
  for (size_t i = 0; i < idx.size(); ++i) {
    if (idx[i] < 0 || idx[i] >= m.rows())
      throw std::invalid_argument(indices_path + ": row " + std::to_string(i) + " is index " + std::to_string(idx[i]) +
                                  ", outside " + path + "'s " + std::to_string(m.rows()) + " rows");
    picked.row(static_cast<Eigen::Index>(i)) = m.row(idx[i]);
  }
  return picked;
}

}  // namespace

int cmd_human(int argc, char** argv) {
  std::string model_path, human_path, counts_path, labels_path, indices_path;
  ml::HumanOptions opt;
  BootstrapFlags boot;
  const Subcommand sub{
      "human",
      "A model's class probabilities against people's judgements of the same images (CIFAR-10H:\n"
      "cifar10h-probs.npy and cifar10h-counts.npy, 10000 x 10, Peterson et al. 2019). Rows of\n"
      "metric,value (+ ci_low,ci_high,n_boot, the 95% percentile bootstrap interval over images,\n"
      "with --bootstrap). p: the model's probabilities, h: the people's, n_i people per image of whom\n"
      "k_i chose the true class, c_i = [argmax p_i == label_i]:\n"
      "  cross_entropy              mean_i -sum_c h_ic log(max(p_ic, 1e-12)) (Peterson et al. 2019)\n"
      "  human_majority_agreement   mean_i [argmax p_i == argmax counts_i] (argmax h_i without\n"
      "                             --counts; ties: the lowest class)\n"
      "  error_consistency          Cohen's kappa of c_i against a random person of the image\n"
      "                             (Geirhos et al. 2020): h_i = k_i / n_i (h_i[label] without\n"
      "                             --counts), c_obs = mean c_i h_i + (1 - c_i)(1 - h_i), c_exp from\n"
      "                             the accuracies, (c_obs - c_exp) / (1 - c_exp); needs labels\n"
      "  error_consistency_ceiling  the same between two different people of an image (counts)\n"
      "  confusion_correlation      Pearson r of the off-diagonal entries of the soft confusion\n"
      "                             matrices (mean probability vector per true class; labels)\n"
      "  human_rdm_spearman         Spearman r of the model's and the people's RDMs (1 - Pearson r\n"
      "                             of two images' probability vectors) over the first\n"
      "                             --rdm-images images (nan if a row is uniform or an RDM constant)\n"
      "  human_rdm_ceiling          each image's people split at random into two halves\n"
      "                             (--split-seed), the halves' RDMs Spearman-correlated, 2r/(1+r)\n"
      "                             (counts)\n"
      "The RDM measures are bootstrapped by indexing the RDMs (a pair of copies of one image is\n"
      "left out). Without --indices, row i of MODEL_PROBS is row i of HUMAN (the whole test set in\n"
      "order); with it, HUMAN's and COUNTS' rows are picked by index (ml-record's indices.npy).\n\n"
      "  ml-analyze human run/acts/probs.npy cifar10h-probs.npy --counts cifar10h-counts.npy \\\n"
      "      --indices run/acts/indices.npy --labels run/acts/labels.npy --bootstrap 1000\n",
      {{"model-probs", "MODEL_PROBS.npy", "MODEL_PROBS.npy, N x classes (ml-record --probs)", &model_path},
       {"human", "HUMAN.npy", "HUMAN.npy, M x classes", &human_path}},
      {}};
  const auto parsed = open_subcommand(sub, argc, argv, [&](cxxopts::Options& o) {
    // clang-format off
    o.add_options()
      ("counts", "people per class, M x classes like HUMAN (cifar10h-counts.npy): the ceilings, k_i / n_i",
       cxxopts::value(counts_path))
      ("labels", "true classes, N (default: labels.npy beside MODEL_PROBS, if there)", cxxopts::value(labels_path))
      ("indices", "HUMAN's row for each model row (default: indices.npy beside MODEL_PROBS when HUMAN has "
                  "a different row count)", cxxopts::value(indices_path))
      ("split-seed", "the split of each image's people into halves", cxxopts::value(opt.split_seed)->default_value("1"))
      ("rdm-images", "the RDM measures over the first N images (0: all; all 10,000 take ~80 s and 3.5 GB)",
       cxxopts::value(opt.rdm_images)->default_value("1000"));
    // clang-format on
    add_bootstrap_flags(o, boot, "the RDM measures: over the --rdm-images images, by indexing the RDMs");
  });
  if (!parsed) return 0;
  const Common& c = parsed->common;
  check_bootstrap_flags(parsed->args, boot);
  opt.bootstrap = boot.draws;
  opt.boot_seed = boot.seed;
  if (opt.rdm_images < 0) throw std::invalid_argument("--rdm-images " + std::to_string(opt.rdm_images) + ": negative");
  Timer timer;
  ml::HumanInputs in;
  ml::HumanInputNames names{model_path, human_path, counts_path, labels_path};
  in.model = ml::load_matrix_npy(model_path);
  in.human = ml::load_matrix_npy(human_path);
  if (!counts_path.empty()) {
    in.counts = ml::load_matrix_npy(counts_path);
    if (in.counts.rows() != in.human.rows() || in.counts.cols() != in.human.cols())
      throw std::invalid_argument(counts_path + " is " + std::to_string(in.counts.rows()) + " x " +
                                  std::to_string(in.counts.cols()) + " but " + human_path + " is " +
                                  std::to_string(in.human.rows()) + " x " + std::to_string(in.human.cols()));
  }
  if (indices_path.empty() && in.human.rows() != in.model.rows())
    indices_path = recorded_beside(model_path, &ActsDir::indices);
  if (!indices_path.empty()) {
    const std::vector<int64_t> idx = ml::load_labels_npy(indices_path);
    if (static_cast<Eigen::Index>(idx.size()) != in.model.rows())
      throw std::invalid_argument(indices_path + " has " + std::to_string(idx.size()) + " indices but " +
                                  model_path + " has " + std::to_string(in.model.rows()) + " rows");
    in.human = pick_rows(in.human, human_path, idx, indices_path);
    names.human += " (rows picked by " + indices_path + ")";
    if (!counts_path.empty()) {
      in.counts = pick_rows(in.counts, counts_path, idx, indices_path);
      names.counts += " (rows picked by " + indices_path + ")";
    }
  }
  if (labels_path.empty()) names.labels = labels_path = recorded_beside(model_path, &ActsDir::labels);
  if (!labels_path.empty()) in.labels = ml::load_labels_npy(labels_path);
  ml::check_human_inputs(in, names);
  timer.lap("read");
  const ml::HumanMeasures r = ml::measure_against_people(in, opt);
  timer.lap("compute");
  const std::string key = csv_field(c.model.empty() ? model_of_file(model_path) : c.model) + ',' +
                          csv_field(c.layer.empty() ? layer_of_file(model_path) : c.layer) + ',';
  const std::string no_interval = boot.draws > 0 ? ",,," : "";  // counts of images have none
  std::ostringstream csv;
  csv << "model,layer,metric,value" << bootstrap_header(boot) << '\n';
  csv << key << "images," << r.images << no_interval << '\n';
  csv << key << "rdm_images," << r.rdm_images << no_interval << '\n';
  for (const auto& m : r.measures)
    csv << key << m.metric << ',' << fmt(m.value) << (m.ci ? bootstrap_fields(boot, *m.ci) : no_interval) << '\n';
  emit_csv(c, csv.str());
  timer.lap("write");
  if (c.time) std::fprintf(stderr, "ml-analyze human: %s\n", timer.report().c_str());
  return 0;
}

}  // namespace ml::analyze
