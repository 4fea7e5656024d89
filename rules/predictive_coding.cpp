#include "rules/predictive_coding.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "engine/squared_norms.h"
#include "engine/tensor_ops.h"
#include "rules/registry.h"

namespace ml {
namespace {

// A float flag as the user typed it (0.1, not 0.100000001): float's 7 digits.
std::string typed(float f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.7g", f);
  return buf;
}

}  // namespace

PredictiveCoding::PredictiveCoding(const PredictiveCodingOptions& o)
    : steps_(o.inference_steps), gamma_(o.inference_lr), o_inference_lr_(o.inference_lr), beta_(o.pc_beta) {
  if (steps_ < 0) throw std::invalid_argument("--inference-steps " + std::to_string(steps_) + ": must be >= 0");
  if (!(gamma_ > 0.0f) || !std::isfinite(gamma_)) {
    throw std::invalid_argument("--inference-lr " + typed(gamma_) + ": must be a finite number > 0");
  }
  if (!(beta_ > 0.0f) || !std::isfinite(beta_)) {
    throw std::invalid_argument("--pc-beta " + typed(beta_) + ": must be a finite number > 0");
  }
}

nlohmann::json PredictiveCoding::config() const {
  return {{"inference_steps", steps_},
          {"inference_lr", std::strtod(typed(gamma_).c_str(), nullptr)},
          {"pc_beta", std::strtod(typed(beta_).c_str(), nullptr)},
          {"inference_lr_adaptive", "halved for good whenever a step raises the energy"},
          {"value_nodes", "after each block: a weight layer and the parameter-free layers after it"},
          {"top_energy", "pc_beta * cross-entropy of the top block's prediction"},
          {"update_scale", "dE/dW / (pc_beta * batch): backprop's gradient of the mean loss in the limit"}};
}

void PredictiveCoding::attach(Network& net, uint64_t) { build_blocks(net); }

void PredictiveCoding::build_blocks(Network& net) {
  blocks_.clear();
  for (size_t i = 0; i < net.size(); ++i) {
    if (!net.layer(i).weight()) continue;
    if (!blocks_.empty()) blocks_.back().last = i - 1;
    // parameter-free layers before the first weight layer (a leading flatten) join the first block
    blocks_.push_back({blocks_.empty() ? 0 : i, i, net.size() - 1});
  }
  if (blocks_.empty()) throw std::invalid_argument("--rule pc: the network '" + net.spec() + "' has no weight layer");
  built_for_ = &net;
  net_size_ = net.size();
  x_.resize(blocks_.size() - 1);
  eps_.resize(blocks_.size() - 1);
}

const Tensor& PredictiveCoding::predict_block(Network& net, size_t k, const Tensor& x) {
  const Tensor* h = &x;
  for (size_t i = blocks_[k].first; i <= blocks_[k].last; ++i) h = &net.layer(i).forward(*h);
  return *h;
}

const Tensor& PredictiveCoding::backward_through(Network& net, size_t hi, size_t lo, const Tensor& error) {
  const Tensor* d = &error;
  for (size_t i = hi + 1; i-- > lo;) d = &net.layer(i).backward_input(*d);
  return *d;
}

LossResult PredictiveCoding::predict_and_compare(Network& net, const Batch& batch, bool start) {
  const size_t top = blocks_.size() - 1;
  const Tensor* below = &batch.x;
  for (size_t k = 0; k < top; ++k) {
    const Tensor& mu = predict_block(net, k, *below);
    ensure(eps_[k], mu.shape(), mu.device());
    if (start) {  // the value node starts at its prediction: no error yet
      ensure(x_[k], mu.shape(), mu.device());
      x_[k].copy_from(mu);
      eps_[k].zero();
    } else {
      eps_[k].copy_from(x_[k]);
      axpby(eps_[k], mu, -1.0f, 1.0f);
    }
    below = &x_[k];
  }
  const LossResult r = loss_.forward(predict_block(net, top, *below), batch.labels, batch.host_labels);
  if (r.finite) dlogits_ = &loss_.backward(batch.labels);
  return r;
}

void PredictiveCoding::relax(Network& net) {
  const size_t top = blocks_.size() - 1;
  for (size_t k = 0; k < top; ++k) {
    // dE/dx_k = eps_k - J_{k+1}^T eps_{k+1}; the top error is eps_K = -beta N dloss_mean/dlogits
    const Block& above = blocks_[k + 1];
    const bool from_top = k + 1 == top;
    const Tensor& jt = backward_through(net, above.last, above.first, from_top ? *dlogits_ : eps_[k + 1]);
    const float scale = from_top ? -beta_ * static_cast<float>(batch_size_) : 1.0f;
    axpby(x_[k], eps_[k], -gamma_, 1.0f);
    axpby(x_[k], jt, gamma_ * scale, 1.0f);
  }
}

double PredictiveCoding::energy(const LossResult& top_loss, std::vector<double>* per_block) const {
  const double n = batch_size_;
  double total = 0;
  if (per_block) per_block->clear();
  std::vector<const Tensor*> errors;
  for (const Tensor& e : eps_) errors.push_back(&e);
  for (const double squares : squared_norms_(errors)) {  // one read of the sums, not of the errors
    const double term = 0.5 * squares / n;
    total += term;
    if (per_block) per_block->push_back(term);
  }
  const double top = beta_ * top_loss.loss_sum / n;
  if (per_block) per_block->push_back(top);
  return total + top;
}

void PredictiveCoding::local_weight_grads(Network& net) {
  deltas_.assign(net.size(), nullptr);
  const size_t top = blocks_.size() - 1;
  for (size_t k = 0; k <= top; ++k) {
    const Block& b = blocks_[k];
    // -eps_k / (beta N): the top block's is dloss_mean/dlogits itself. The hidden
    // errors are scaled in place: they are spent once the grads are written.
    if (k < top) axpby(eps_[k], eps_[k], 0.0f, -1.0f / (beta_ * static_cast<float>(batch_size_)));
    const Tensor& error = k < top ? eps_[k] : *dlogits_;
    // through the block's own activation (and pooling): f_k'^T eps_k
    const Tensor& delta = backward_through(net, b.last, b.weight + 1, error);
    deltas_[b.weight] = &delta;
    net.layer(b.weight).weight_grads(delta);  // times the presynaptic value node, cached by the last prediction
  }
}

std::vector<size_t> PredictiveCoding::value_node_layers(Network& net) {
  if (built_for_ != &net || net_size_ != net.size()) build_blocks(net);
  std::vector<size_t> layers;
  for (size_t k = 0; k + 1 < blocks_.size(); ++k) layers.push_back(blocks_[k].last);
  return layers;
}

LossResult PredictiveCoding::compute_gradients(Network& net, const Batch& batch) {
  const LossResult forward_pass = infer(net, batch);
  if (forward_pass.finite) local_weight_grads(net);
  return forward_pass;  // the network's own prediction, as every rule reports it
}

LossResult PredictiveCoding::infer(Network& net, const Batch& batch) {
  if (built_for_ != &net || net_size_ != net.size()) build_blocks(net);
  batch_size_ = batch.x.dim(0);
  energy_trace_.clear();
  block_energy_.clear();
  const LossResult forward_pass = predict_and_compare(net, batch, true);
  if (!forward_pass.finite) return forward_pass;
  double previous = energy(forward_pass, nullptr);
  if (track_energy_) energy_trace_.push_back(previous);
  if (observer_) observer_(0, x_);
  LossResult top_loss = forward_pass;
  for (int t = 1; t <= steps_; ++t) {
    relax(net);
    top_loss = predict_and_compare(net, batch, false);
    if (!top_loss.finite) {
      throw std::runtime_error("--inference-lr " + typed(o_inference_lr_) + ": inference diverged (non-finite energy) at step " +
                               std::to_string(t) + " with step " + typed(gamma_) + "; try a smaller --inference-lr");
    }
    const double e = energy(top_loss, nullptr);
    if (track_energy_) energy_trace_.push_back(e);
    // A gradient step that raises E is beyond the stable step 2 / (largest
    // curvature of E), which shrinks as the weights grow during training: halve
    // the step for this and every later batch. (1e-4: above float rounding and
    // the chatter of a small step across a ReLU kink, ~3e-5 of E.)
    if (e > previous * (1 + 1e-4)) {
      gamma_ *= 0.5f;
      ++step_halvings_;
    }
    previous = e;
    if (observer_) observer_(t, x_);
  }
  if (track_energy_) energy(top_loss, &block_energy_);
  return forward_pass;
}

LossResult PredictiveCoding::train_step(Network& net, const Batch& batch, Optimizer& opt) {
  LossResult result = compute_gradients(net, batch);
  if (result.finite) opt.step(net.params());
  return result;
}

void PredictiveCoding::log_alignment(Network& net, const Batch& batch, AlignmentLog& log, int epoch,
                                     int batch_index) {
  const bool was_tracking = track_energy_;
  const float gamma = gamma_;
  const int halvings = step_halvings_;
  track_energy_ = true;
  LearningRule::log_alignment(net, batch, log, epoch, batch_index);  // runs compute_gradients
  track_energy_ = was_tracking;
  // A halving in the logging pass is the logging's: training goes on at its own step.
  gamma_ = gamma;
  step_halvings_ = halvings;
  if (energy_trace_.empty()) return;  // the forward pass was not finite
  for (size_t k = 0; k < blocks_.size(); ++k) {
    log.add(epoch, batch_index, net.layer(blocks_[k].weight).name(), "energy", block_energy_[k]);
  }
  log.add(epoch, batch_index, "network", "energy_initial", energy_trace_.front());
  log.add(epoch, batch_index, "network", "energy", energy_trace_.back());
  log.add(epoch, batch_index, "network", "inference_steps", steps_);
  log.add(epoch, batch_index, "network", "inference_lr", gamma_);
  log.add(epoch, batch_index, "network", "inference_lr_halvings", step_halvings_);
}

// The quick preset relaxes 5 steps instead of 10: a pc batch costs ~(2T + 3)/3 bp batches.
ML_REGISTER_RULE(
    pc, {.name = "pc",
         .order = 110,
         .training_defaults = {{"lr", "0.01"}},
         .flags = {{"inference-steps", FlagType::Int, "10",
                    "relaxation steps T of the value nodes per batch (a batch costs ~ (2T + 3) / 3 x bp's; more "
                    "steps bring the updates closer to bp's gradient)"},
                   {"inference-lr", FlagType::Float, "0.5",
                    "step size of each relaxation step, x <- x - step * dE/dx (too large diverges: an error)"},
                   {"pc-beta", FlagType::Float, "0.1",
                    "weight beta of the cross-entropy as the top energy term (the output target's nudge "
                    "logits - beta dloss/dlogits); updates are divided by beta, small beta is closer to bp"}},
         .quick_flags = "--inference-steps 5",
         .study_cost = 50,
         .make = [](const FlagValues& f) -> std::unique_ptr<LearningRule> {
           return std::make_unique<PredictiveCoding>(PredictiveCodingOptions{.inference_steps = f.get_int("inference-steps"),
                                                                             .inference_lr = f.get_float("inference-lr"),
                                                                             .pc_beta = f.get_float("pc-beta")});
         }})

}  // namespace ml
