// ml-analyze cca A.npy B.npy [--method svcca|pwcca|mean] [--keep 0.99]
#include <cstdio>
#include <stdexcept>
#include <string>
#include <utility>

#include "analysis/cca.h"
#include "apps/analyze/common.h"
#include "apps/analyze/pair.h"
#include "apps/analyze/subcommands.h"

namespace ml::analyze {

int cmd_cca(int argc, char** argv) {
  std::string method_name = "svcca", a_path, b_path;
  std::string keep_text = "0.99";
  const Subcommand sub{
      "cca",
      "Canonical correlation analysis between two representations of the same N examples\n"
      "(rows), columns centred; 1 for identical inputs.\n"
      "  svcca  Raghu et al. 2017: each side reduced to its top singular directions explaining\n"
      "         --keep of the variance, then the mean canonical correlation\n"
      "  pwcca  Morcos et al. 2018: canonical correlations weighted by how much of A's centred\n"
      "         columns each of A's canonical variates accounts for (sum_j |<h_i, a_j>|);\n"
      "         asymmetric: google/svcca weights by the side with fewer neurons, pass it as A\n"
      "  mean   the mean canonical correlation, no reduction\n"
      "mean and pwcca are unchanged by any invertible linear map of B (and of A, for mean);\n"
      "svcca by orthogonal maps and isotropic scaling. A side with N - 1 or more features spans\n"
      "every centred direction (all correlations would be 1): mean and pwcca reduce it as svcca\n"
      "does first. The note column says which reductions were applied, and when the two sides'\n"
      "dimensions exceed N - 1 (that many correlations are 1 by construction). A constant column\n"
      "is an error for mean and pwcca on a side taken whole; svcca's reduction drops it.\n\n"
      "  ml-analyze cca acts/bp/fc1.npy acts/fa/fc1.npy --method pwcca\n",
      {{"a", "A.npy", "A.npy, N x features", &a_path}, {"b", "B.npy", "B.npy, N x features", &b_path}},
      {.pair = true}};
  const auto parsed = open_subcommand(sub, argc, argv, [&](cxxopts::Options& o) {
    // clang-format off
    o.add_options()
      ("method", "svcca, pwcca or mean", cxxopts::value(method_name)->default_value(method_name))
      ("keep", "share of the variance the SVD reduction keeps, in (0, 1]",
       cxxopts::value(keep_text)->default_value(keep_text));
    // clang-format on
  });
  if (!parsed) return 0;
  const Common& c = parsed->common;
  const ml::CcaMethod method = ml::parse_cca_method(method_name);
  const double keep = number_flag("--keep", keep_text, [](double v) { return v > 0 && v <= 1; }, "in (0, 1]");
  Timer timer;
  auto [a, b] = load_pair(a_path, b_path, "cca");
  timer.lap("read");
  const ml::CcaResult r = ml::cca_similarity(std::move(a), std::move(b), method, keep, a_path, b_path);
  timer.lap("compute");
  emit_csv(c, pair_csv(c, a_path, b_path, ml::cca_metric(method), r.value, true, r.note));
  timer.lap("write");
  if (c.time) std::fprintf(stderr, "ml-analyze cca: %s\n", timer.report().c_str());
  return 0;
}

}  // namespace ml::analyze
