// ml-analyze: representation analyses over .npy files (activations recorded by
// ml-record, RDMs, class probabilities), each writing tidy CSV (one row per
// measurement) to standard output or --out, matrices to --npy, pictures to --png.
// One file per subcommand beside this one; a new subcommand is its file and a
// row in kSubcommands.
#include <cstdio>
#include <iostream>
#include <string>

#include "apps/analyze/subcommands.h"
#include "apps/cli.h"

namespace {

struct Entry {
  const char* name;
  const char* usage;  // its line in the top-level --help, after the name
  int (*run)(int argc, char** argv);
};

// clang-format off
constexpr Entry kSubcommands[] = {
  {"rdm", "A.npy [--distance correlation|euclidean|cosine] [--by-class]   dissimilarity matrix", ml::analyze::cmd_rdm},
  {"compare-rdm", "A.npy B.npy [--method spearman|pearson|kendall-tau-a|rho-a|cosine]", ml::analyze::cmd_compare_rdm},
  {"pca", "A.npy                                  explained variance, participation ratio", ml::analyze::cmd_pca},
  {"cka", "A.npy B.npy [--kernel linear|rbf] [--rbf-scale 0.5] [--debiased] [--minibatch M]", ml::analyze::cmd_cka},
  {"cka-matrix", "DIR1 DIR2                       layer x layer CKA between two recorded models",
   ml::analyze::cmd_cka_matrix},
  {"mds", "RDM.npy [--labels names.txt]           classical MDS to 2-D", ml::analyze::cmd_mds},
  {"human", "MODEL_PROBS.npy HUMAN.npy [--counts C.npy] [--bootstrap B]   measures against people",
   ml::analyze::cmd_human},
  {"procrustes", "A.npy B.npy [--alpha 1]          angular Procrustes distance, generalized shape metric",
   ml::analyze::cmd_procrustes},
  {"cca", "A.npy B.npy [--method svcca|pwcca|mean] [--keep 0.99]   canonical correlations", ml::analyze::cmd_cca},
  {"knn", "A.npy B.npy [--k 10]                    mutual nearest neighbours", ml::analyze::cmd_knn},
};
// clang-format on

std::string usage() {
  std::string text =
      "ml-analyze: representation analyses over .npy files, writing tidy CSV (+ .npy, PNG)\n\n"
      "usage: ml-analyze SUBCOMMAND [ARGS] [--help]\n\n";
  for (const auto& s : kSubcommands) text += std::string("  ") + s.name + " " + s.usage + "\n";
  return text +
         "\n"
         "Every subcommand writes CSV to standard output or --out FILE; see ml-analyze SUBCOMMAND --help.\n"
         "rdm and cka take --precision auto|double|mixed: large correlation/cosine RDMs and CKAs use float32\n"
         "products over blocks of 128-256 terms summed in double by default (~1.5-2x faster, within ~1e-7 of\n"
         "double); --precision double keeps every product in double.\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h" ||
      std::string(argv[1]) == "help") {
    std::cout << usage();
    return argc < 2 ? 1 : 0;
  }
  const std::string sub = argv[1];
  for (const auto& s : kSubcommands)
    if (sub == s.name) return ml::cli::run(("ml-analyze " + sub).c_str(), [&] { return s.run(argc - 1, argv + 1); });
  std::string names;
  for (const auto& s : kSubcommands) names += (names.empty() ? "" : ", ") + std::string(s.name);
  std::fprintf(stderr, "ml-analyze: error: unknown subcommand '%s' (%s)\n", sub.c_str(), names.c_str());
  return 1;
}
