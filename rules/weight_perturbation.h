// Weight perturbation (Jabri & Flower 1992; Williams 1992; Mehta & Lillicrap):
// every parameter (weights and biases of every layer, frozen ones excepted)
// gets Gaussian noise xi ~ N(0, sigma^2 I) at once; the change in the batch's
// MEAN loss says how good the noise was:
//   g = 1/K sum_k (Lbar(W + xi_k) - Lbar(W)) / sigma^2 * xi_k.
// A per-batch estimator: one weight draw serves the whole batch, as one
// weight tensor is all a forward pass can use. Per-sample loss differences
// would need an independent weight draw per sample (N perturbed copies of
// every weight), so they are not used here; node perturbation has them.
// To first order E[g] = dLbar/dW, bp's gradient; its variance grows with the
// number of parameters P (about P |g|^2 per draw), so it needs a far smaller
// --lr than bp. The K draws run as K forward passes (each needs its own
// weights); the noise is never stored: it is redrawn from its counter-based
// seed (kernels/noise) to form the update.
// --antithetic: +xi and -xi per draw, (L_+ - L_-) / (2 sigma^2) (central difference).
#pragma once
#include <vector>

#include "rules/perturbation_rule.h"

namespace ml {

class WeightPerturbation : public PerturbationRule {
 public:
  explicit WeightPerturbation(const PerturbationOptions& o);
  std::string name() const override { return "weight-perturbation"; }
  void attach(Network& net, uint64_t seed) override;
  LossResult compute_gradients(Network& net, const Batch& batch) override;
  nlohmann::json config() const override;

 private:
  // Every trainable parameter becomes clean + sign * sigma * xi(seed of draw k).
  void perturb(const std::vector<Param*>& params, size_t k, float sign);

  float sigma_;
  int k_;
  bool antithetic_;
  std::vector<Tensor> clean_;
  std::vector<uint64_t> seeds_;  // [draw][param]
};

}  // namespace ml
