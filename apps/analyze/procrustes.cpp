// ml-analyze procrustes A.npy B.npy [--alpha 1]
#include <cstdio>
#include <stdexcept>
#include <string>
#include <utility>

#include "analysis/procrustes.h"
#include "apps/analyze/common.h"
#include "apps/analyze/pair.h"
#include "apps/analyze/subcommands.h"

namespace ml::analyze {

int cmd_procrustes(int argc, char** argv) {
  std::string alpha_text = "1";
  std::string a_path, b_path;
  const Subcommand sub{
      "procrustes",
      "Angular Procrustes distance (Williams, Kunz, Kornblith & Linderman 2021) between two\n"
      "representations of the same N examples (rows), columns centred, the narrower zero-padded:\n"
      "arccos(||A^T B||_* / (||A||_F ||B||_F)) in radians, 0 for identical inputs, unchanged by\n"
      "orthogonal maps and isotropic scaling of either side. --alpha < 1 gives their generalized\n"
      "shape metric: each side partially whitened first as netrep's LinearMetric does,\n"
      "A -> A (alpha I + (1 - alpha) (A^T A)^{-1/2}); alpha 0 is full whitening (CCA-like), with\n"
      "the eigenvalues of A^T A floored at 1e-10 times the largest (netrep: an absolute 1e-7).\n"
      "For 0 < alpha < 1 the value depends on the data's scale, as netrep's does. A constant\n"
      "column adds nothing (it centres to zero). CSV: ..., metric, value, note (the note says\n"
      "when a whitened side spans all N - 1 centred directions, so that the distance is set\n"
      "by the ranks).\n\n"
      "  ml-analyze procrustes acts/bp/fc1.npy acts/fa/fc1.npy --alpha 0.5\n",
      {{"a", "A.npy", "A.npy, N x features", &a_path}, {"b", "B.npy", "B.npy, N x features", &b_path}},
      {.pair = true}};
  const auto parsed = open_subcommand(sub, argc, argv, [&](cxxopts::Options& o) {
    o.add_options()("alpha", "in [0, 1]: 1 the angular Procrustes distance, 0 fully whitened (CCA-like)",
                    cxxopts::value(alpha_text)->default_value(alpha_text));
  });
  if (!parsed) return 0;
  const Common& c = parsed->common;
  const double alpha = number_flag("--alpha", alpha_text, [](double v) { return v >= 0 && v <= 1; }, "in [0, 1]");
  Timer timer;
  auto [a, b] = load_pair(a_path, b_path, "procrustes");
  timer.lap("read");
  const ml::ProcrustesResult r = ml::procrustes_distance(std::move(a), std::move(b), alpha, a_path, b_path);
  timer.lap("compute");
  emit_csv(c, pair_csv(c, a_path, b_path, ml::procrustes_metric(alpha), r.distance, true, r.note));
  timer.lap("write");
  if (c.time) std::fprintf(stderr, "ml-analyze procrustes: %s\n", timer.report().c_str());
  return 0;
}

}  // namespace ml::analyze
