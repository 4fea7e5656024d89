// What the target-propagation rules share: the blocks, the feedback
// weights and their optimizer, feedback pre-training, the block helpers, and
// the alignment rows (see target_prop.h).
#include "rules/target_prop.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

#include "engine/layers/activation.h"
#include "engine/layers/conv2d.h"
#include "engine/layers/linear.h"
#include "engine/tensor_ops.h"
#include "kernels/conv2d/conv2d.h"
#include "kernels/linear/linear.h"
#include "kernels/noise/noise.h"
#include "rules/per_layer_flag.h"

namespace ml {

void channel_dims(const Tensor& t, int& N, int& C, int& HW) {
  N = t.dim(0), C = t.dim(1);
  HW = static_cast<int>(t.numel() / (static_cast<size_t>(N) * C));
}
namespace {

// Stride and padding of a conv layer, read back from its spec token conv<K>k<R>[s<S>][p<P>].
void conv_stride_pad(const std::string& token, int& stride, int& pad) {
  stride = 1, pad = 0;
  const size_t k = token.find('k');
  for (size_t i = k; i < token.size(); ++i) {
    if (token[i] == 's') stride = std::stoi(token.substr(i + 1));
    if (token[i] == 'p') pad = std::stoi(token.substr(i + 1));
  }
}

}  // namespace

std::vector<FlagSpec> target_prop_flags(const std::string& feedback_steps_default) {
  return {
      {"tp-eta-hat", FlagType::Float, "0.06",
       "output target step, t_L = h_L - eta_hat * dloss/dh_L per sample"},
      {"tp-noise", FlagType::Float, "0.09", "sigma of the feedback losses' Gaussian noise"},
      {"feedback-lr", FlagType::FloatList, "0.00016",
       "learning rate of the feedback weights, for every feedback map, or comma-separated one per "
       "map from the bottom up"},
      {"feedback-optimizer", FlagType::Text, "adam",
       "sgd (momentum 0.9) or adam, for the feedback weights"},
      {"feedback-weight-decay", FlagType::Float, "0", "L2 weight decay on the feedback weights"},
      {"feedback-steps", FlagType::IntList, feedback_steps_default,
       "feedback updates per batch, for every feedback map, or comma-separated one per map from "
       "the bottom up (ldrl on the seed LeNet: conv2,fc1,fc2); ldrl's default is 20 (Ernoult et al.), "
       "the others' 1"},
      {"feedback-pretrain-epochs", FlagType::Int, "1",
       "feedback-only passes over the training set before epoch 1"},
  };
}

TargetPropOptions target_prop_options(const FlagValues& f) {
  return {.tp_eta_hat = f.get_float("tp-eta-hat"),
          .tp_noise = f.get_float("tp-noise"),
          .feedback_lr = f.get_floats("feedback-lr"),
          .feedback_optimizer = f.get_text("feedback-optimizer"),
          .feedback_weight_decay = f.get_float("feedback-weight-decay"),
          .feedback_steps = f.get_ints("feedback-steps"),
          .feedback_pretrain_epochs = f.get_int("feedback-pretrain-epochs")};
}

TargetPropRule::TargetPropRule(const TargetPropOptions& o) : o_(o) {
  if (!(o.tp_eta_hat > 0.0f)) throw std::invalid_argument("--tp-eta-hat " + flag_value(o.tp_eta_hat) + ": must be > 0");
  if (!(o.tp_noise > 0.0f)) throw std::invalid_argument("--tp-noise " + flag_value(o.tp_noise) + ": must be > 0");
  check_each_value("--feedback-lr", o.feedback_lr, [](float v) { return v > 0.0f; }, "must be > 0");
  if (o.feedback_optimizer != "sgd" && o.feedback_optimizer != "adam") {
    throw std::invalid_argument("--feedback-optimizer '" + o.feedback_optimizer + "': must be sgd or adam");
  }
  if (!(o.feedback_weight_decay >= 0.0f)) {
    throw std::invalid_argument("--feedback-weight-decay " + flag_value(o.feedback_weight_decay) + ": must be >= 0");
  }
  check_each_value("--feedback-steps", o.feedback_steps, [](int v) { return v >= 1; }, "must be >= 1");
  if (o.feedback_pretrain_epochs < 0) {
    throw std::invalid_argument("--feedback-pretrain-epochs " + std::to_string(o.feedback_pretrain_epochs) +
                                ": must be >= 0");
  }
}

nlohmann::json TargetPropRule::config() const {
  return {{"tp_eta_hat", o_.tp_eta_hat},
          {"tp_noise", o_.tp_noise},
          {"feedback_lr", per_layer_json(o_.feedback_lr)},
          {"feedback_optimizer", o_.feedback_optimizer},
          {"feedback_weight_decay", o_.feedback_weight_decay},
          {"feedback_steps", per_layer_json(o_.feedback_steps)},
          {"feedback_pretrain_epochs", o_.feedback_pretrain_epochs},
          {"feedback_init", "uniform(+-1/sqrt(fan_in of Q))"}};
}

void TargetPropRule::attach(Network& net, uint64_t seed) {
  blocks_.clear();
  for (size_t i = 0; i < net.size(); ++i) {
    Layer& l = net.layer(i);
    const std::string where = "--rule " + name() + ": layer " + l.name() + " '" + l.token() + "'";
    if (l.weight()) {
      if (!dynamic_cast<Linear*>(&l) && !dynamic_cast<Conv2d*>(&l)) throw std::invalid_argument(where + ": no feedback map for it");
      blocks_.push_back({i, i});
    } else if (!blocks_.empty()) {
      if (!dynamic_cast<ReLU*>(&l) && !dynamic_cast<MaxPool2d*>(&l) && !dynamic_cast<Flatten*>(&l)) {
        throw std::invalid_argument(where + ": no feedback map for it");
      }
      blocks_.back().last = i;
    }
  }
  if (blocks_.empty()) throw std::invalid_argument("--rule " + name() + ": the network has no weight layer");
  classes_ = static_cast<size_t>(net.output_shape()[0]);

  feedback_.assign(blocks_.size(), Param());
  feedback_bias_.assign(blocks_.size(), Param());
  saved_in_.assign(blocks_.size(), Tensor());
  // Streams of their own, so feedback weights and noise never shift the network's init or data order.
  Rng rng(seed ^ 0x7A26E7B0FEEDull);
  for (size_t b = 0; b < blocks_.size(); ++b) {
    const Shape s = feedback_shape(net, b);
    Rng block_rng = rng.split(b);
    if (s.empty()) continue;
    const float bound = 1.0f / std::sqrt(static_cast<float>(shape_numel(s) / static_cast<size_t>(s[0])));
    feedback_[b].name = net.layer(blocks_[b].first).name() + ".feedback";
    feedback_[b].value = random_uniform(s, -bound, bound, block_rng, net.device());
    feedback_[b].grad = Tensor(s, net.device());
  }
  // Feedback steps and rates per block, from each flag's one value or its one value per map.
  std::vector<size_t> map_blocks;
  std::string maps;
  for (size_t b = 0; b < blocks_.size(); ++b) {
    if (!feedback_[b].value.defined()) continue;
    map_blocks.push_back(b);
    maps += (maps.empty() ? "" : ", ") + net.layer(blocks_[b].first).name();
  }
  auto per_block = [&](const std::string& flag, const auto& values, auto& out) {
    const auto per_map = per_layer_values(flag, values, map_blocks.size(), "feedback map", maps);
    out.assign(blocks_.size(), 0);
    for (size_t m = 0; m < map_blocks.size(); ++m) out[map_blocks[m]] = per_map[m];
  };
  per_block("--feedback-steps", o_.feedback_steps, block_steps_);
  per_block("--feedback-lr", o_.feedback_lr, block_lr_);
  OptimizerConfig fc;
  fc.name = o_.feedback_optimizer;
  fc.lr = o_.feedback_lr[0];  // set per block before each step
  fc.momentum = 0.9f;
  fc.weight_decay = o_.feedback_weight_decay;
  feedback_opt_ = make_optimizer(fc);
  noise_rng_ = Rng(seed ^ 0x0015E5EEDull);
  log_rng_ = Rng(seed ^ 0x10665EEDull);
  rng_ = &noise_rng_;
}

std::vector<NamedTensor> TargetPropRule::state() {
  std::vector<NamedTensor> out;
  for (auto* list : {&feedback_, &feedback_bias_}) {
    for (auto& p : *list) {
      if (p.value.defined()) out.push_back({p.name, p.value});
    }
  }
  return out;
}

const Tensor& TargetPropRule::forward_blocks(Network& net, size_t from, size_t to, const Tensor& x) {
  const Tensor* h = &x;
  for (size_t i = blocks_.at(from).first; i <= blocks_.at(to).last; ++i) h = &net.layer(i).forward(*h);
  return *h;
}

const Tensor& TargetPropRule::to_weight_output(Network& net, size_t b, const Tensor& v) {
  const Tensor* d = &v;
  for (size_t i = blocks_[b].last; i > blocks_[b].first; --i) d = &net.layer(i).backward_input(*d);
  return *d;
}

const Tensor& TargetPropRule::feedback_down(Network& net, size_t b, const Tensor& v, const Tensor** u) {
  const Tensor& w = to_weight_output(net, b, v);
  if (u) *u = &w;
  return net.layer(blocks_[b].first).backward_input(w, &feedback_.at(b).value);
}

void TargetPropRule::transposed_weight_grad(Network& net, size_t b, Tensor& dq, const Tensor& u, const Tensor& dz) {
  Layer& layer = net.layer(blocks_[b].first);
  const Device device = u.device();
  const int N = u.dim(0);
  if (dynamic_cast<Linear*>(&layer)) {
    // dQ[out, in] = u[N, out]^T dz[N, in]: the linear weight gradient with u as the error and dz as the input.
    const LinearShape s{N, static_cast<int>(dz.numel() / static_cast<size_t>(N)),
                        static_cast<int>(u.numel() / static_cast<size_t>(N))};
    ML_ON_DEVICE(device, linear_backward_weight, dq.data(), nullptr, u.data(), dz.data(), s);
    return;
  }
  // Conv: dQ[K, C, R, S] = sum over n, p, q of u[n, K, p, q] dz[n, C, p s + r - pad, q s + t - pad].
  const Tensor& w = layer.weight()->value;
  Conv2dShape s;
  s.N = N, s.C = dz.dim(1), s.H = dz.dim(2), s.W = dz.dim(3);
  s.K = w.dim(0), s.R = w.dim(2), s.S = w.dim(3);
  conv_stride_pad(layer.token(), s.stride, s.pad);
  ML_ON_DEVICE(device, conv2d_backward_weight, dq.data(), nullptr, u.data(), dz.data(), s);
}

void TargetPropRule::add_noise(Tensor& y, const Tensor* x) {
  const uint64_t seed = rng_->next_u64();
  const float* xp = x ? x->data() : nullptr;
  ML_ON_DEVICE(y.device(), add_normal_noise, y.data(), xp, o_.tp_noise, seed, y.numel());
}

void TargetPropRule::save_block_inputs(Network& net) {
  for (size_t b = 0; b < blocks_.size(); ++b) {
    const Tensor& in = net.layer(blocks_[b].first).input();
    ensure(saved_in_[b], in.shape(), in.device());
    saved_in_[b].copy_from(in);
  }
}

void TargetPropRule::feedback_updates(Network& net) {
  const int most = *std::max_element(block_steps_.begin(), block_steps_.end());
  std::vector<bool> train(blocks_.size());
  for (int step = 0; step < most; ++step) {
    for (size_t b = 0; b < blocks_.size(); ++b) train[b] = block_steps_[b] > step;
    feedback_gradients(net, false, train);
    for (size_t b = 0; b < blocks_.size(); ++b) {
      if (!train[b]) continue;
      std::vector<Param*> params;
      for (Param* p : {&feedback_[b], &feedback_bias_[b]}) {
        if (p->value.defined()) params.push_back(p);
      }
      feedback_opt_->set_lr(block_lr_[b]);
      feedback_opt_->step(params);
    }
  }
}

LossResult TargetPropRule::train_step(Network& net, const Batch& batch, Optimizer& opt) {
  LossResult result = compute_gradients(net, batch);
  if (!result.finite) return result;  // the caller stops; nothing is updated
  save_block_inputs(net);             // the activations this batch's feedback training starts from
  opt.step(net.params());
  feedback_updates(net);
  return result;
}

void TargetPropRule::pretrain_step(Network& net, const Batch& batch) {
  net.forward(batch.x);
  save_block_inputs(net);
  feedback_updates(net);
}

std::vector<double> TargetPropRule::feedback_losses(Network& net, const Batch& batch) {
  net.forward(batch.x);
  save_block_inputs(net);
  rng_ = &log_rng_;
  std::vector<double> losses = feedback_gradients(net, true, std::vector<bool>(blocks_.size(), true));
  rng_ = &noise_rng_;
  return losses;
}

void TargetPropRule::log_alignment(Network& net, const Batch& batch, AlignmentLog& log, int epoch, int batch_index) {
  LearningRule::log_alignment(net, batch, log, epoch, batch_index);
  const std::vector<double> losses = feedback_losses(net, batch);
  for (size_t b = 0; b < blocks_.size(); ++b) {
    if (std::isnan(losses[b])) continue;
    log.add(epoch, batch_index, net.layer(blocks_[b].first).name(), "feedback_loss", losses[b]);
  }
  extra_alignment(net, batch, log, epoch, batch_index);
}

// --- dtp-linear and ldrl-linear -------------------------------------------------

Shape LayerwiseTargetRule::feedback_shape(Network& net, size_t b) {
  if (b == 0) return {};  // nothing needs a target below the first block
  return net.layer(blocks_[b].first).weight()->value.shape();
}

const Tensor* LayerwiseTargetRule::feedback_weight(size_t i, Layer&) {
  for (size_t b = 1; b < blocks_.size(); ++b) {
    if (blocks_[b].first == i) return &feedback_[b].value;
  }
  return nullptr;
}

LossResult LayerwiseTargetRule::compute_gradients(Network& net, const Batch& batch) {
  // With G_b linear around the forward pass, the scaled target differences
  // (h_b - t_b) / (eta_hat N) are the output error e = dl/dh_L (of the mean
  // loss) sent down through G_L, ..., G_{b+1}: the local loss's gradient at
  // h_b. Each block's weight layer gets it through the block's own ReLU mask
  // and pooling. That walk is backward_walk with Q_b in place of W_b.
  return backward_walk(net, batch, loss_, [this](size_t i, Layer& l) { return feedback_weight(i, l); }, deltas_);
}

std::vector<std::vector<float>> LayerwiseTargetRule::targets(Network& net, const Batch& batch) {
  std::vector<std::vector<float>> t(blocks_.size());
  loss_.forward(net.forward(batch.x), batch.labels, batch.host_labels);
  const Tensor& e = loss_.backward(batch.labels);
  // t_L - h_L = -eta_hat * dl_n/dh_L per sample = -eta_hat N e.
  const float step = -o_.tp_eta_hat * static_cast<float>(e.dim(0));
  ensure(work_a_, e.shape(), e.device());
  work_a_.copy_from(e);
  axpby(work_a_, work_a_, step, 0.0f);
  for (size_t b = blocks_.size(); b-- > 0;) {
    // t_b = h_b + (t_b - h_b)
    const Tensor& h = net.layer(blocks_[b].last).output();
    ensure(work_b_, h.shape(), h.device());
    work_b_.copy_from(h);
    axpby(work_b_, work_a_, 1.0f, 1.0f);
    t[b] = work_b_.to_vector();
    if (b == 0) break;
    // t_{b-1} - h_{b-1} = G_b(t_b) - G_b(h_b) = G_b(t_b - h_b)
    const Tensor& down = feedback_down(net, b, work_a_);
    ensure(work_c_, down.shape(), down.device());
    work_c_.copy_from(down);
    std::swap(work_a_, work_c_);
  }
  return t;
}

}  // namespace ml
