#include "rules/node_perturbation.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "base/cuda_memory.h"
#include "engine/layers/conv2d.h"
#include "engine/layers/linear.h"
#include "kernels/perturb/perturb.h"
#include "rules/registry.h"

namespace ml {

NodePerturbation::NodePerturbation(const PerturbationOptions& o)
    : sigma_(o.perturbation_sigma), k_(o.perturbations), antithetic_(o.antithetic) {
  if (!(sigma_ > 0.0f) || !std::isfinite(sigma_)) {
    throw std::invalid_argument("--perturbation-sigma " + std::to_string(sigma_) + ": must be > 0 and finite");
  }
  if (k_ < 1) throw std::invalid_argument("--perturbations " + std::to_string(k_) + ": must be >= 1");
}

nlohmann::json NodePerturbation::config() const {
  return {{"perturbation_sigma", sigma_}, {"perturbations", k_}, {"antithetic", antithetic_},
          {"estimator", "per-sample loss differences, noise on every conv/fc output, one batched forward"}};
}

void NodePerturbation::attach(Network& net, uint64_t seed) {
  rng_ = Rng(seed ^ 0x90DE9E27ull);
  perturbed_.assign(net.size(), false);
  pert_.assign(net.size(), Tensor());
  noise_.assign(net.size(), Tensor());
  for (size_t i = 0; i < net.size(); ++i) {
    Layer& layer = net.layer(i);
    if (!layer.weight()) continue;
    if (!dynamic_cast<Linear*>(&layer) && !dynamic_cast<Conv2d*>(&layer)) {
      throw std::invalid_argument("--rule node-perturbation: layer " + layer.name() + " '" + layer.token() +
                                  "' is not a conv or fc layer (its pre-activations cannot be perturbed)");
    }
    // a frozen layer learns nothing: noise there would only add variance to the others' updates
    perturbed_[i] = !layer.weight()->frozen;
  }
}

LossResult NodePerturbation::perturbed_forward(Network& net, const Batch& batch) {
  const int N = batch.size(), C = copies();
  const Device dev = batch.x.device();
  Shape shape = batch.x.shape();
  shape[0] = N * C;
  ensure(x_rep_, shape, dev);
  const size_t per_copy = batch.x.numel();
  for (int c = 0; c < C; ++c) {
    float* dst = x_rep_.data() + c * per_copy;
    if (dev == Device::CUDA) cuda_copy_device_to_device(dst, batch.x.data(), per_copy * sizeof(float));
    else std::copy(batch.x.data(), batch.x.data() + per_copy, dst);
  }
  host_labels_rep_.resize(static_cast<size_t>(N) * C);
  for (int c = 0; c < C; ++c) std::copy(batch.host_labels.begin(), batch.host_labels.end(), host_labels_rep_.begin() + c * N);
  ensure(labels_rep_, host_labels_rep_.size(), dev);
  labels_rep_.upload(host_labels_rep_.data(), host_labels_rep_.size());

  const Tensor* h = &x_rep_;
  for (size_t i = 0; i < net.size(); ++i) {
    const Tensor& y = net.layer(i).forward(*h);
    if (!perturbed_[i]) {
      h = &y;
      continue;
    }
    ensure(pert_[i], y.shape(), dev);
    ensure(noise_[i], y.shape(), dev);
    const uint64_t seed = rng_.next_u64();
    const size_t M = y.numel() / C;
    ML_ON_DEVICE(dev, perturb_copies, pert_[i].data(), noise_[i].data(), y.data(), sigma_, seed, M, C, antithetic_);
    h = &pert_[i];
  }
  const LossResult all = loss_.forward(*h, labels_rep_, host_labels_rep_);
  const std::vector<float> logp = loss_.log_probs().to_vector();
  const int classes = h->dim(1);
  losses_.resize(host_labels_rep_.size());
  for (size_t r = 0; r < losses_.size(); ++r) losses_[r] = -static_cast<double>(logp[r * classes + host_labels_rep_[r]]);
  LossResult clean;
  clean.count = N;
  for (int n = 0; n < N; ++n) {
    clean.loss_sum += losses_[n];
    const float* row = logp.data() + static_cast<size_t>(n) * classes;
    clean.correct += std::max_element(row, row + classes) - row == batch.host_labels[n];
  }
  clean.finite = all.finite;
  return clean;
}

LossResult NodePerturbation::compute_gradients(Network& net, const Batch& batch) {
  deltas_.assign(net.size(), nullptr);  // no error reaches the layers: nothing to compare with bp's
  const LossResult result = perturbed_forward(net, batch);
  if (!result.finite) return result;
  const int N = batch.size(), C = copies();
  const double scale = 1.0 / (static_cast<double>(sigma_) * sigma_ * k_ * N);
  coef_host_.assign(static_cast<size_t>(C) * N, 0.0f);  // copy 0: no noise, no update
  for (int n = 0; n < N; ++n) {
    for (int j = 0; j < k_; ++j) {
      if (antithetic_) {
        const int plus = 1 + 2 * j, minus = plus + 1;  // the noise of `minus` is -xi: its coefficient flips sign
        const double d = 0.25 * (losses_[plus * N + n] - losses_[minus * N + n]) * scale;
        coef_host_[plus * N + n] = static_cast<float>(d);
        coef_host_[minus * N + n] = static_cast<float>(-d);
      } else {
        coef_host_[(1 + j) * N + n] = static_cast<float>((losses_[(1 + j) * N + n] - losses_[n]) * scale);
      }
    }
  }
  const Device dev = batch.x.device();
  ensure(coef_, {C * N}, dev);
  if (dev == Device::CUDA) cuda_copy_to_device(coef_.data(), coef_host_.data(), coef_host_.size() * sizeof(float));
  else std::copy(coef_host_.begin(), coef_host_.end(), coef_.data());
  for (size_t i = 0; i < net.size(); ++i) {
    if (!perturbed_[i]) continue;
    Tensor& e = noise_[i];  // scaled in place: the noise becomes the output error
    const size_t rows = static_cast<size_t>(C) * N, row_size = e.numel() / rows;
    ML_ON_DEVICE(dev, scale_rows, e.data(), e.data(), coef_.data(), rows, row_size);
    net.layer(i).weight_grads(e);
  }
  return result;
}

// The variance of the updates needs far smaller steps than bp's: the largest rate that lasted 15 epochs on the
// seed LeNet (docs/RESULTS.md).
ML_REGISTER_RULE(node_perturbation, {.name = "node-perturbation",
                                      .order = 130,
                                      .training_defaults = {{"lr", "0.00003"}},
                                      .flags = perturbation_flags(),
                                      .make = [](const FlagValues& f) -> std::unique_ptr<LearningRule> {
                                        return std::make_unique<NodePerturbation>(perturbation_options(f));
                                      }})

}  // namespace ml
