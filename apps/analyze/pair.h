// What the measures between two inputs A and B share (procrustes, cca, knn):
// reading the pair with its checks, and their one-row CSV.
#pragma once
#include <string>
#include <utility>

#include <Eigen/Dense>

#include "apps/analyze/common.h"

namespace ml::analyze {

// A and B from a_path and b_path; throws, naming the file, unless they have the
// same number of rows and at least 3 (what: the subcommand, for the message).
std::pair<Eigen::MatrixXd, Eigen::MatrixXd> load_pair(const std::string& a_path, const std::string& b_path,
                                                      const std::string& what);

// "model,layer,model_b,layer_b,metric,value[,note]\n" and the row under it: the
// names from --model/--layer/--model-b/--layer-b, else from the paths; the note
// column when with_note.
std::string pair_csv(const Common& c, const std::string& a_path, const std::string& b_path, const std::string& metric,
                     double value, bool with_note = false, const std::string& note = "");

}  // namespace ml::analyze
