// The ml-analyze subcommands, one file each: argv[0] is the subcommand's name;
// the return value is the exit code. Errors are thrown (main.cpp prints them).
#pragma once

namespace ml::analyze {

int cmd_rdm(int argc, char** argv);
int cmd_compare_rdm(int argc, char** argv);
int cmd_pca(int argc, char** argv);
int cmd_cka(int argc, char** argv);
int cmd_cka_matrix(int argc, char** argv);
int cmd_mds(int argc, char** argv);
int cmd_human(int argc, char** argv);
int cmd_procrustes(int argc, char** argv);
int cmd_cca(int argc, char** argv);
int cmd_knn(int argc, char** argv);

}  // namespace ml::analyze
