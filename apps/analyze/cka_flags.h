// What cka and cka-matrix share: the CKA flags, their checks, the metric name
// in the CSV and one CKA value under them.
#pragma once
#include <cstdint>
#include <string>

#include <Eigen/Dense>
#include <cxxopts.hpp>

namespace ml::analyze {

struct CkaFlags {
  std::string kernel = "linear";
  double scale = 0.5;  // from scale_text, by finish_cka_flags
  std::string scale_text = "0.5";
  bool debiased = false;
  int64_t minibatch = 0;
  uint64_t seed = 1;
  std::string precision = "auto";
};

void add_cka_flags(cxxopts::Options& o, CkaFlags& f);

// Takes --debiased from args, then checks f (before any input is read).
void finish_cka_flags(const cxxopts::ParseResult& args, CkaFlags& f);

// "cka_linear", "cka_rbf_debiased", "cka_linear_minibatch", ...
std::string cka_metric(const CkaFlags& f);

double run_cka(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, const CkaFlags& f);

}  // namespace ml::analyze
