// What cka and compare-rdm share for bootstrap intervals over the probe images
// (analysis/bootstrap.h): the --bootstrap and --boot-seed flags, their check, and
// the CSV columns ci_low,ci_high,n_boot they add beside value.
#pragma once
#include <cstdint>
#include <string>

#include <cxxopts.hpp>

#include "analysis/bootstrap.h"

namespace ml::analyze {

struct BootstrapFlags {
  int draws = 0;  // 0: no interval, the CSV keeps its columns
  uint64_t seed = 1;
};

// `what`: the sentence --help gives after "95% percentile interval of the value over B
// resamples of the N images with replacement".
void add_bootstrap_flags(cxxopts::Options& o, BootstrapFlags& f, const std::string& what);

// Throws std::invalid_argument naming the flag and value when --bootstrap is given < 1
// (before any input is read).
void check_bootstrap_flags(const cxxopts::ParseResult& args, const BootstrapFlags& f);

// ",ci_low,ci_high,n_boot" when f asks for an interval, else "".
std::string bootstrap_header(const BootstrapFlags& f);
// ",<low>,<high>,<draws>" when f asks for an interval, else "".
std::string bootstrap_fields(const BootstrapFlags& f, const ml::BootstrapInterval& i);

}  // namespace ml::analyze
