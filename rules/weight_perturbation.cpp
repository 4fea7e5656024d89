#include "rules/weight_perturbation.h"

#include <cmath>
#include <stdexcept>

#include "kernels/noise/noise.h"
#include "rules/registry.h"

namespace ml {
namespace {

// y = x + s * z(seed), z ~ N(0, 1) per element, on y's device (y may alias x).
void add_noise(Tensor& y, const Tensor& x, float s, uint64_t seed) {
  ML_ON_DEVICE(y.device(), add_normal_noise, y.data(), x.data(), s, seed, y.numel());
}

std::vector<Param*> trainable(Network& net) {
  std::vector<Param*> out;
  for (Param* p : net.params()) {
    if (!p->frozen) out.push_back(p);  // a frozen param learns nothing: noise there only adds variance
  }
  return out;
}

}  // namespace

WeightPerturbation::WeightPerturbation(const PerturbationOptions& o)
    : sigma_(o.perturbation_sigma), k_(o.perturbations), antithetic_(o.antithetic) {
  if (!(sigma_ > 0.0f) || !std::isfinite(sigma_)) {
    throw std::invalid_argument("--perturbation-sigma " + std::to_string(sigma_) + ": must be > 0 and finite");
  }
  if (k_ < 1) throw std::invalid_argument("--perturbations " + std::to_string(k_) + ": must be >= 1");
}

nlohmann::json WeightPerturbation::config() const {
  return {{"perturbation_sigma", sigma_}, {"perturbations", k_}, {"antithetic", antithetic_},
          {"estimator", "per-batch mean loss difference, all parameters perturbed at once"}};
}

void WeightPerturbation::attach(Network& net, uint64_t seed) {
  rng_ = Rng(seed ^ 0x3E16A7B5ull);
  clean_.clear();
  for (Param* p : trainable(net)) clean_.push_back(Tensor(p->value.shape(), p->value.device()));
}

void WeightPerturbation::perturb(const std::vector<Param*>& params, size_t k, float sign) {
  for (size_t q = 0; q < params.size(); ++q) add_noise(params[q]->value, clean_[q], sign * sigma_, seeds_[k * params.size() + q]);
}

LossResult WeightPerturbation::compute_gradients(Network& net, const Batch& batch) {
  deltas_.assign(net.size(), nullptr);  // no error reaches the layers
  const LossResult result = loss_.forward(net.forward(batch.x), batch.labels, batch.host_labels);
  if (!result.finite) return result;
  const std::vector<Param*> params = trainable(net);
  const double n = batch.size(), l0 = result.loss_sum / n;
  seeds_.resize(static_cast<size_t>(k_) * params.size());
  for (auto& s : seeds_) s = rng_.next_u64();
  for (size_t q = 0; q < params.size(); ++q) clean_[q].copy_from(params[q]->value);

  // The K draws' loss changes (central differences with --antithetic), each a forward pass.
  std::vector<double> change(k_);
  bool finite = true;
  for (int k = 0; k < k_ && finite; ++k) {
    perturb(params, k, 1.0f);
    const LossResult plus = loss_.forward(net.forward(batch.x), batch.labels, batch.host_labels);
    change[k] = plus.loss_sum / n - l0;
    finite = plus.finite;
    if (antithetic_ && finite) {
      perturb(params, k, -1.0f);
      const LossResult minus = loss_.forward(net.forward(batch.x), batch.labels, batch.host_labels);
      change[k] = 0.5 * (plus.loss_sum - minus.loss_sum) / n;
      finite = minus.finite;
    }
  }
  for (size_t q = 0; q < params.size(); ++q) params[q]->value.copy_from(clean_[q]);
  if (!finite) {
    LossResult bad = result;
    bad.finite = false;
    return bad;
  }
  // g = 1/K sum_k change_k / sigma^2 * (sigma z_k): the same z, redrawn from its seed.
  for (size_t q = 0; q < params.size(); ++q) {
    Tensor& g = params[q]->grad;
    g.zero();
    for (int k = 0; k < k_; ++k) {
      const double c = change[k] / (static_cast<double>(sigma_) * k_);
      add_noise(g, g, static_cast<float>(c), seeds_[k * params.size() + q]);
    }
  }
  return result;
}

// The variance of the updates needs far smaller steps than bp's: the largest rate that lasted 15 epochs on the
// seed LeNet (docs/RESULTS.md).
ML_REGISTER_RULE(weight_perturbation, {.name = "weight-perturbation",
                                        .order = 120,
                                        .training_defaults = {{"lr", "0.00001"}},
                                        .flags = perturbation_flags(),
                                        .make = [](const FlagValues& f) -> std::unique_ptr<LearningRule> {
                                          return std::make_unique<WeightPerturbation>(perturbation_options(f));
                                        }})

}  // namespace ml
