// ml-analyze knn A.npy B.npy [--k 10]
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "analysis/knn_overlap.h"
#include "apps/analyze/common.h"
#include "apps/analyze/pair.h"
#include "apps/analyze/subcommands.h"

namespace ml::analyze {

namespace {

// cxxopts takes one-letter names only as short options (-k): the and the
// study's spelling --k (and --k=V) is rewritten to it.
std::vector<std::string> with_short_k(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  for (auto& a : args) {
    if (a == "--k") a = "-k";
    else if (a.rfind("--k=", 0) == 0) a = "-k" + a.substr(4);
  }
  return args;
}

}  // namespace

int cmd_knn(int argc, char** argv_in) {
  std::vector<std::string> args = with_short_k(argc, argv_in);
  std::vector<char*> argv_k;
  for (auto& a : args) argv_k.push_back(a.data());
  char** argv = argv_k.data();
  int64_t k = 10;
  std::string a_path, b_path;
  const Subcommand sub{
      "knn",
      "Mutual nearest neighbours (Huh et al. 2024) between two representations of the same N\n"
      "examples (rows): columns centred, rows L2-normalised, each example's k nearest others by\n"
      "inner product in A and in B (ties to the smaller index); value = mean over examples of\n"
      "|N_A(i) and N_B(i)| / k, 1 for identical inputs, unchanged by isotropic scaling and\n"
      "orthogonal maps. A constant column adds nothing; a row equal to the column means is an\n"
      "error (it has no direction).\n\n"
      "  ml-analyze knn acts/bp/fc1.npy acts/fa/fc1.npy --k 10\n",
      {{"a", "A.npy", "A.npy, N x features", &a_path}, {"b", "B.npy", "B.npy, N x features", &b_path}},
      {.pair = true}};
  const auto parsed = open_subcommand(sub, argc, argv, [&](cxxopts::Options& o) {
    o.add_options()("k", "neighbours per example, in [1, N - 1] (also --k)", cxxopts::value(k)->default_value("10"));
  });
  if (!parsed) return 0;
  const Common& c = parsed->common;
  if (k < 1) throw std::invalid_argument("--k " + std::to_string(k) + ": must be >= 1");
  Timer timer;
  auto [a, b] = load_pair(a_path, b_path, "knn");
  if (k >= a.rows())
    throw std::invalid_argument("--k " + std::to_string(k) + ": must be below N = " + std::to_string(a.rows()) +
                                " (the rows of " + a_path + "; each example has N - 1 others)");
  timer.lap("read");
  const double v = ml::mutual_knn(std::move(a), std::move(b), k, a_path, b_path);
  timer.lap("compute");
  emit_csv(c, pair_csv(c, a_path, b_path, "mutual_knn_k" + std::to_string(k), v));
  timer.lap("write");
  if (c.time) std::fprintf(stderr, "ml-analyze knn: %s\n", timer.report().c_str());
  return 0;
}

}  // namespace ml::analyze
