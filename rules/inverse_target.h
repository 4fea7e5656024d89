// dtp and ldrl: layer-wise target propagation through learned nonlinear
// inverses, as Lee et al. 2015 define DTP (REFERENCES.md "Target propagation";
// the blocks, h_b and the local forward loss: target_prop.h).
//
// The inverse of block b maps h_b back to h_{b-1}:
//   g_b(v) = f_b( Q_b^T(P_b v) + c_b )
// with its own learned Q_b (W_b's shape) and bias c_b (one per channel of a
// conv input, one per feature of an fc input), and per block type:
//   - fc layer: Q_b^T v is the matrix product v Q_b ([N, out] -> [N, in]);
//   - conv layer: Q_b^T is the transposed convolution with Q_b (the stride and
//     padding of the forward conv);
//   - max pooling in the block: P_b unpools, putting each value where its window's
//     maximum was in the forward pass (the forward pass's max indices: for the
//     targets the training forward at h_{b-1}, for the feedback losses the forward
//     of the input being reconstructed), zero elsewhere;
//   - flatten in the block: P_b reshapes back to [N, C, H, W];
//   - the block's own ReLU is not inverted (P_b passes through it).
// f_b is the inverse's own nonlinearity, chosen by what h_{b-1} is: ReLU where
// block b-1 contains a ReLU (h_{b-1} is a ReLU output, also after max pooling and
// flatten, which keep it non-negative); the identity where block b-1 has none
// (a linear layer's output). The first block has no inverse (h_{-1} is the network
// input: nothing needs a target there).
//
// Targets, for every batch (the forward pass at its input, the current Q and c):
//   t_L = h_L - eta_hat dl_n/dh_L per sample (the output target),
//   t_{b-1} = h_{b-1} + g_b(t_b) - g_b(h_b)   (difference correction, not linearised).
// Forward update: each block's W_b minimises ||h_b - t_b||^2 / (2 eta_hat N) through
// W_b only; for the output block that is backprop's gradient exactly. With Q_b = W_b
// and c_b = 0 this is not backprop: g_b(t_b) - g_b(h_b) differs from W_b^T (t_b - h_b)
// by f_b and by how far t_b lies from h_b, so eta_hat changes the update.
// Which loss trains Q_b and c_b: dtp.cpp (noisy reconstruction), ldrl.cpp (L-DRL).
// dtp-linear and ldrl-linear (target_prop.h, LayerwiseTargetRule) keep the earlier
// map, linear around the forward pass.
#pragma once
#include <vector>

#include "rules/target_prop.h"

namespace ml {

class InverseTargetRule : public TargetPropRule {
 public:
  using TargetPropRule::TargetPropRule;
  void attach(Network& net, uint64_t seed) override;  // adds c_b (zeros) and picks f_b
  LossResult compute_gradients(Network& net, const Batch& batch) override;
  std::vector<std::vector<float>> targets(Network& net, const Batch& batch) override;
  const Tensor* feedback_weight(size_t i, Layer&) override;  // Q_b, for the alignment log's angle to W_b

  // c_b and its gradient of the last feedback loss.
  Tensor& feedback_bias(size_t b) { return feedback_bias_.at(b).value; }
  Tensor& feedback_bias_grad(size_t b) { return feedback_bias_.at(b).grad; }
  bool inverse_relu(size_t b) const { return relu_.at(b); }  // f_b is ReLU (else the identity)

  // z = g_b(v), v of h_b's shape, with the pooling indices of block b's last forward pass.
  // *u (when asked) gets P_b v, the transposed op's input: a layer buffer (or v itself),
  // valid until block b's layers are called again.
  void inverse(Network& net, size_t b, const Tensor& v, Tensor& z, const Tensor** u = nullptr);

 protected:
  Shape feedback_shape(Network& net, size_t b) override;  // W_b's shape for every block but the first
  // The gradients of <dz, g_b(v)> with respect to Q_b and c_b, from u = P_b v and z = g_b(v)
  // as inverse() gave them: written into their grads, or added to them when add.
  void inverse_grads(Network& net, size_t b, const Tensor& u, const Tensor& z, const Tensor& dz, bool add);

  std::vector<bool> relu_;  // per block: f_b is ReLU
  Tensor work_a_, work_b_, work_c_, work_d_;

 private:
  // steps_[b] = t_b - h_b for every block, from the last forward pass and e = dl/dh_L of the mean loss.
  void target_steps(Network& net, const Tensor& e);
  std::vector<Tensor> steps_, grad_h_;
  Tensor inv_t_, inv_h_, da_, dq_, dc_;
};

// Difference target propagation (Lee et al. 2015): Q_b and c_b learn by the noisy
// reconstruction loss ||g_b(f_b(h_{b-1} + eps)) - (h_{b-1} + eps)||^2 / 2 (dtp.cpp).
class DifferenceTargetProp : public InverseTargetRule {
 public:
  using InverseTargetRule::InverseTargetRule;
  std::string name() const override { return "dtp"; }
  // Block b's reconstruction loss (mean per sample; NaN unless want_loss) of x_n = h_{b-1} + eps
  // as given, and its gradients written into Q_b's and c_b's grads (feedback_gradients draws x_n).
  double reconstruction(Network& net, size_t b, const Tensor& x_n, bool want_loss = true);

 protected:
  std::vector<double> feedback_gradients(Network& net, bool want_loss, const std::vector<bool>& train) override;
};

// L-DRL (Ernoult et al. 2022) through the nonlinear inverse (ldrl.cpp).
class LayerwiseDRL : public InverseTargetRule {
 public:
  using InverseTargetRule::InverseTargetRule;
  std::string name() const override { return "ldrl"; }
  // Block b's L-DRL loss (NaN unless want_loss) for input x and the noise draws d (x's shape) and
  // e (h_b's shape), and its gradients written into Q_b's and c_b's grads (feedback_gradients draws d, e).
  double difference_loss(Network& net, size_t b, const Tensor& x, const Tensor& d, const Tensor& e,
                         bool want_loss = true);

 protected:
  std::vector<double> feedback_gradients(Network& net, bool want_loss, const std::vector<bool>& train) override;

 private:
  Tensor d_, e_, x_d_, y_e_, z_d_, z_e_, z_0_, u_0_;
};

}  // namespace ml
