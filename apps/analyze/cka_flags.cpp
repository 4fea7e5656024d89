#include "apps/analyze/cka_flags.h"

#include <algorithm>
#include <stdexcept>

#include "analysis/cka.h"
#include "apps/analyze/common.h"

namespace ml::analyze {

void add_cka_flags(cxxopts::Options& o, CkaFlags& f) {
  // clang-format off
  o.add_options()
    ("kernel", "linear or rbf", cxxopts::value(f.kernel)->default_value(f.kernel))
    ("rbf-scale", "RBF bandwidth sigma = scale * sqrt(median squared distance)",
       cxxopts::value(f.scale_text)->default_value(f.scale_text))
    ("debiased", "the unbiased HSIC estimator (Song et al. 2012; needs N >= 4)")
    ("minibatch", "minibatch CKA (Nguyen, Raghu & Kornblith 2021) over batches of M rows in a random order "
                  "(unbiased HSIC per batch; 0: off)", cxxopts::value(f.minibatch)->default_value("0"))
    ("seed", "the minibatch order", cxxopts::value(f.seed)->default_value("1"));
  // clang-format on
  add_precision_flag(o, f.precision);
}

void finish_cka_flags(const cxxopts::ParseResult& args, CkaFlags& f) {
  f.debiased = args.count("debiased") > 0;
  ml::parse_cka_kernel(f.kernel);
  use_mixed(f.precision, 0);
  f.scale = number_flag("--rbf-scale", f.scale_text, [](double v) { return v > 0; }, "a finite positive number");
  if (f.minibatch < 0 || (f.minibatch > 0 && f.minibatch < 4))
    throw std::invalid_argument("--minibatch must be 0 (off) or >= 4, got " + std::to_string(f.minibatch));
}

std::string cka_metric(const CkaFlags& f) {
  return "cka_" + f.kernel + (f.minibatch > 0 ? "_minibatch" : (f.debiased ? "_debiased" : ""));
}

double run_cka(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, const CkaFlags& f) {
  const ml::CkaKernel kernel = ml::parse_cka_kernel(f.kernel);
  if (f.minibatch > 0) return ml::minibatch_cka(a, b, kernel, f.minibatch, f.scale, f.seed);
  if (f.minibatch < 0) throw std::invalid_argument("--minibatch must be >= 0");
  const double n = static_cast<double>(a.rows()), features = static_cast<double>(a.cols() + b.cols());
  if (kernel == ml::CkaKernel::linear)
    return ml::linear_cka(a, b, f.debiased, use_mixed(f.precision, n * std::min(n, features) * features / 2));
  return ml::rbf_cka(a, b, f.scale, f.debiased, use_mixed(f.precision, n * n * features / 2));
}

}  // namespace ml::analyze
