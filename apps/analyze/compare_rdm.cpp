// ml-analyze compare-rdm A.npy B.npy --method spearman|pearson|kendall-tau-a|rho-a|cosine
//                        [--bootstrap B [--boot-seed S]]
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "analysis/rdm_bootstrap.h"
#include "analysis/rdm_compare.h"
#include "base/flags.h"
#include "apps/analyze/bootstrap_flags.h"
#include "apps/analyze/common.h"
#include "apps/analyze/subcommands.h"

namespace ml::analyze {
int cmd_compare_rdm(int argc, char** argv) {
  std::string a_path, b_path, method = "spearman";
  const Subcommand sub{
      "compare-rdm",
      "Similarity of two RDMs (N x N .npy, e.g. from ml-analyze rdm --npy) over the upper\n"
      "triangle, diagonal excluded. Kendall tau-a counts ties as neither concordant nor\n"
      "discordant (no correction), as RSA uses it; rho-a is rsatoolbox's.\n\n"
      "  ml-analyze compare-rdm bp_relu3_rdm.npy fa_relu3_rdm.npy --method kendall-tau-a\n\n"
      "--bootstrap B resamples the conditions (rows and columns of both RDMs alike); the pairs\n"
      "of an image drawn twice with itself (zero dissimilarities) are dropped, as rsatoolbox does.\n",
      {{"a", "A.npy", "A.npy (N x N RDM)", &a_path}, {"b", "B.npy", "B.npy (N x N RDM)", &b_path}},
      {.pair = true}};
  BootstrapFlags boot;
  const auto parsed = open_subcommand(sub, argc, argv, [&](cxxopts::Options& o) {
    o.add_options()("method",
                    "spearman, pearson, kendall-tau-a, rho-a or cosine (a comma-separated list gives one row each)",
                    cxxopts::value(method)->default_value(method));
    add_bootstrap_flags(o, boot, "self-pairs of a duplicated image dropped");
  });
  if (!parsed) return 0;
  const Common& c = parsed->common;
  check_bootstrap_flags(parsed->args, boot);
  std::vector<ml::RdmComparison> methods;
  for (const auto& m : ml::split_list(method)) methods.push_back(ml::parse_rdm_comparison(m));
  if (methods.empty()) throw std::invalid_argument("--method: no method given");
  Timer timer;
  const Eigen::MatrixXd a = load_square(a_path), b = load_square(b_path);
  if (a.rows() != b.rows())
    throw std::invalid_argument(a_path + " is " + std::to_string(a.rows()) + " x " + std::to_string(a.rows()) +
                                " but " + b_path + " is " + std::to_string(b.rows()) + " x " +
                                std::to_string(b.rows()) + " (RDMs over the same conditions are needed)");
  timer.lap("read");
  const std::vector<double> ua = ml::upper_triangle(a), ub = ml::upper_triangle(b);
  if (ua.size() < 2) throw std::invalid_argument("RDMs need at least 3 conditions to compare");
  for (const auto m : methods)
    for (const auto& [v, path] : {std::pair{&ua, &a_path}, std::pair{&ub, &b_path}}) {
      const std::string why = ml::comparison_undefined(*v, m);
      if (!why.empty())
        throw std::invalid_argument(*path + ": " + why + " (--method " + ml::rdm_comparison_name(m) + ")");
    }
  std::ostringstream csv;
  csv << "model,layer,model_b,layer_b,metric,value" << bootstrap_header(boot) << "\n";
  const std::string key = csv_field(c.model.empty() ? model_of_file(a_path) : c.model) + ',' +
                          csv_field(c.layer.empty() ? layer_of_file(a_path) : c.layer) + ',' +
                          csv_field(c.model_b.empty() ? model_of_file(b_path) : c.model_b) + ',' +
                          csv_field(c.layer_b.empty() ? layer_of_file(b_path) : c.layer_b) + ',';
  for (const auto m : methods) {
    const ml::BootstrapInterval ci =
        boot.draws > 0 ? ml::bootstrap_rdm_comparison(a, b, m, boot.draws, boot.seed) : ml::BootstrapInterval{};
    csv << key << "rdm_" << ml::rdm_comparison_name(m) << ',' << fmt(ml::compare_vectors(ua, ub, m))
        << bootstrap_fields(boot, ci) << '\n';
  }
  timer.lap("compute");
  emit_csv(c, csv.str());
  timer.lap("write");
  if (c.time) std::fprintf(stderr, "ml-analyze compare-rdm: %s\n", timer.report().c_str());
  return 0;
}

}  // namespace ml::analyze
