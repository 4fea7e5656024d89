// Node perturbation (Williams 1992; Fiete & Seung 2006; the batched form of
// Mehta & Lillicrap, "An empirical study of perturbation methods for training
// deep networks"). The pre-activation a_l (the output of every conv / fc
// layer, before its ReLU) of every sample gets Gaussian noise xi_l ~ N(0,
// sigma^2 I), all layers at once; the loss change of that sample says how
// good the noise was. K independent draws run in ONE forward pass over the
// batch replicated K + 1 times (copy 0 clean, copies 1..K perturbed). The
// estimator (per sample: a sample's noise changes only its own loss, so the
// per-sample loss differences are exact and have far lower variance than the
// batch's):
//   g_l = 1/(K N) sum_k sum_n (L_kn - L_0n) / sigma^2 * xi_lkn x_lkn^T
// where x_lkn is layer l's input in copy k (itself perturbed upstream: the
// synapse sees its own presynaptic activity; first order unbiased all the
// same, the upstream noise being independent of xi_l). It is the layer's own
// weight gradient with the scaled noise as the output error (bias: the sum of
// it), so for a conv layer every output position counts. To first order
// E[g_l] = dL/dW_l, the gradient of the batch's mean loss, as bp's.
// --antithetic: each draw is evaluated at +xi and -xi (2K perturbed copies)
// and (L_+ - L_-) / (2 sigma^2) replaces (L_k - L_0) / sigma^2 (a central
// difference: no O(sigma) curvature bias, lower variance); the update is
// spread half and half over the two copies' inputs.
#pragma once
#include <vector>

#include "rules/perturbation_rule.h"

namespace ml {

class NodePerturbation : public PerturbationRule {
 public:
  explicit NodePerturbation(const PerturbationOptions& o);
  std::string name() const override { return "node-perturbation"; }
  void attach(Network& net, uint64_t seed) override;
  LossResult compute_gradients(Network& net, const Batch& batch) override;
  nlohmann::json config() const override;

  // The batched perturbed forward alone: fills losses() (per copy and sample,
  // copy-major [copies][N]) and noise(i) for every perturbed layer i; returns
  // the clean copy's loss and accuracy (finite only if every copy is finite).
  LossResult perturbed_forward(Network& net, const Batch& batch);
  int copies() const { return 1 + (antithetic_ ? 2 : 1) * k_; }
  const std::vector<double>& losses() const { return losses_; }
  const Tensor& noise(size_t i) const { return noise_.at(i); }
  bool perturbed(size_t i) const { return perturbed_.at(i); }

 private:
  float sigma_;
  int k_;
  bool antithetic_;
  std::vector<bool> perturbed_;  // per layer: a trainable conv / fc layer
  std::vector<Tensor> pert_, noise_;
  Tensor x_rep_, coef_;
  IntBuffer labels_rep_;
  std::vector<int32_t> host_labels_rep_;
  std::vector<double> losses_;
  std::vector<float> coef_host_;
};

}  // namespace ml
