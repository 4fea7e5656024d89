// ml-analyze cka A.npy B.npy --kernel linear|rbf [--rbf-scale 0.5] [--debiased] [--minibatch M]
//                [--bootstrap B [--boot-seed S]]
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <string>

#include "analysis/cka.h"
#include "analysis/cka_bootstrap.h"
#include "analysis/matrix_io.h"
#include "apps/analyze/bootstrap_flags.h"
#include "apps/analyze/cka_flags.h"
#include "apps/analyze/common.h"
#include "apps/analyze/subcommands.h"

namespace ml::analyze {

int cmd_cka(int argc, char** argv) {
  CkaFlags f;
  std::string a_path, b_path;
  const Subcommand sub{
      "cka",
      "Centered kernel alignment (Kornblith et al. 2019) between two representations of the\n"
      "same N examples (rows), features centred first, sums in double (see --precision).\n\n"
      "  ml-analyze cka acts/bp/relu3.npy acts/fa/relu3.npy --kernel rbf --rbf-scale 0.5\n\n"
      "--bootstrap B (linear kernel, without --minibatch; rbf and minibatch refuse it) resamples the\n"
      "two N x N centred grams, not the features. Biased CKA is the plug-in value on the resampled\n"
      "grams: an image drawn twice brings its own similarity off the diagonal, so with many more\n"
      "features than images the interval sits above the value. --debiased averages over tuples of\n"
      "distinct images (an image drawn twice is not paired with itself) and centres on its value.\n\n"
      "  ml-analyze cka acts/bp/relu3.npy acts/fa/relu3.npy --debiased --bootstrap 1000\n",
      {{"a", "A.npy", "A.npy, N x features", &a_path}, {"b", "B.npy", "B.npy, N x features", &b_path}},
      {.pair = true}};
  BootstrapFlags boot;
  const auto parsed = open_subcommand(sub, argc, argv, [&](cxxopts::Options& o) {
    add_cka_flags(o, f);
    add_bootstrap_flags(o, boot, "linear kernel only, see above");
  });
  if (!parsed) return 0;
  const Common& c = parsed->common;
  finish_cka_flags(parsed->args, f);
  check_bootstrap_flags(parsed->args, boot);
  if (boot.draws > 0 && (f.kernel != "linear" || f.minibatch > 0))
    throw std::invalid_argument("--bootstrap works with --kernel linear without --minibatch, got " +
                                (f.minibatch > 0 ? "--minibatch " + std::to_string(f.minibatch) : "--kernel " + f.kernel));
  Timer timer;
  const Eigen::MatrixXd a = ml::load_matrix_npy(a_path), b = ml::load_matrix_npy(b_path);
  require_same_rows(a, a_path, b, b_path);
  timer.lap("read");
  double v = 0;
  try {
    v = run_cka(a, b, f);
  } catch (const ml::CkaUndefined& e) {
    throw std::invalid_argument((e.side == 0 ? a_path : b_path) + ": " + e.what());
  }
  timer.lap("compute");
  ml::BootstrapInterval ci;
  if (boot.draws > 0) {
    const double n = static_cast<double>(a.rows()), features = static_cast<double>(a.cols() + b.cols());
    ci = ml::bootstrap_linear_cka(a, b, f.debiased, boot.draws, boot.seed, use_mixed(f.precision, n * n * features / 2));
    timer.lap("bootstrap");
  }
  std::ostringstream csv;
  csv << "model,layer,model_b,layer_b,metric,value" << bootstrap_header(boot) << "\n";
  csv << csv_field(c.model.empty() ? model_of_file(a_path) : c.model) << ','
      << csv_field(c.layer.empty() ? layer_of_file(a_path) : c.layer) << ','
      << csv_field(c.model_b.empty() ? model_of_file(b_path) : c.model_b) << ','
      << csv_field(c.layer_b.empty() ? layer_of_file(b_path) : c.layer_b) << ',' << cka_metric(f) << ',' << fmt(v)
      << bootstrap_fields(boot, ci) << '\n';
  emit_csv(c, csv.str());
  timer.lap("write");
  if (c.time) std::fprintf(stderr, "ml-analyze cka: %s\n", timer.report().c_str());
  return 0;
}

}  // namespace ml::analyze
