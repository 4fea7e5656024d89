#include "apps/analyze/bootstrap_flags.h"

#include <stdexcept>

#include "apps/analyze/common.h"

namespace ml::analyze {

void add_bootstrap_flags(cxxopts::Options& o, BootstrapFlags& f, const std::string& what) {
  // clang-format off
  o.add_options()
    ("bootstrap", "adds ci_low,ci_high,n_boot: the 95% percentile interval of the value over B resamples of the N "
                  "images with replacement (the same resample on both sides; " + what + ")",
       cxxopts::value(f.draws), "B")
    ("boot-seed", "the resamples' seed", cxxopts::value(f.seed)->default_value("1"), "S");
  // clang-format on
}

void check_bootstrap_flags(const cxxopts::ParseResult& args, const BootstrapFlags& f) {
  if (args.count("bootstrap") > 0 && f.draws < 1)
    throw std::invalid_argument("--bootstrap must be >= 1 (resamples), got " + std::to_string(f.draws));
}

std::string bootstrap_header(const BootstrapFlags& f) { return f.draws > 0 ? ",ci_low,ci_high,n_boot" : ""; }

std::string bootstrap_fields(const BootstrapFlags& f, const ml::BootstrapInterval& i) {
  if (f.draws < 1) return "";
  return ',' + fmt(i.low) + ',' + fmt(i.high) + ',' + std::to_string(i.draws);
}

}  // namespace ml::analyze
