// Weight mirror (Akrout et al. 2019, "Deep learning without weight
// transport"): the error goes back through B; W learns by the delta rule; B
// learns from noise alone. Each batch, per layer: a probe x of small noise
// (mirror_noise * U(-0.5, 0.5), variance s2), y = the layer's output for x,
//   B <- (1 - lambda_B) B + eta_B / (S s2) * sum over the S probes of y x^T
// (in W's layout: the layer's weight gradient with delta = y; for a conv layer
// the sum also runs over the output positions, and S counts them too). E[y x^T] = s2 W
// for zero-mean x, so B -> (eta_B / lambda_B) W. Dividing by s2 makes eta_B
// independent of the noise level (the paper's eta_B times s2).
// An optional mirror phase (mirror_steps updates) aligns B before training.
// eta_B, lambda_B and the probe count may differ per layer: B averages W over
// ~1 / lambda_B steps, and how fast it can follow W without averaging too few
// probes depends on the layer's fan-in and output positions.
#include <algorithm>
#include <cmath>

#include "base/cuda_memory.h"
#include "engine/tensor_ops.h"
#include "rules/feedback_rule.h"
#include "rules/per_layer_flag.h"
#include "rules/registry.h"

namespace ml {

struct WeightMirrorOptions {
  // eta_B, lambda_B and the probe count: one value, or one per layer with a feedback weight
  std::vector<float> mirror_lr;     // eta_B
  std::vector<float> mirror_decay;  // lambda_B (B -> (mirror_lr / mirror_decay) W)
  float mirror_noise;               // probe x ~ mirror_noise * U(-0.5, 0.5)
  std::vector<int> mirror_samples;  // probe samples per batch (at least; see mirror_fan_in_ratio)
  float mirror_fan_in_ratio;        // at least ratio x fan-in probe pairs per layer and step
  int mirror_steps;                 // mirror-only steps before training (the "mirror phase")
};

class WeightMirror : public FeedbackRule {
 public:
  explicit WeightMirror(const WeightMirrorOptions& o) : o_(o) {
    check_each_value("--mirror-lr", o.mirror_lr, [](float v) { return v > 0.0f; }, "must be > 0");
    check_each_value("--mirror-decay", o.mirror_decay, [](float v) { return v > 0.0f && v < 1.0f; },
                     "must be in (0, 1)");
    check_each_value("--mirror-samples", o.mirror_samples, [](int v) { return v >= 1; }, "must be >= 1");
    if (!(o.mirror_noise > 0.0f)) throw std::invalid_argument("--mirror-noise: must be > 0");
    if (!(o.mirror_fan_in_ratio >= 0.0f)) throw std::invalid_argument("--mirror-fan-in-ratio: must be >= 0");
    if (o.mirror_steps < 0) throw std::invalid_argument("--mirror-steps: must be >= 0");
  }
  std::string name() const override { return "weight-mirror"; }
  nlohmann::json config() const override {
    return {{"mirror_lr", per_layer_json(o_.mirror_lr)},
            {"mirror_decay", per_layer_json(o_.mirror_decay)},
            {"mirror_noise", o_.mirror_noise},
            {"mirror_samples", per_layer_json(o_.mirror_samples)},
            {"mirror_steps", o_.mirror_steps},
            {"mirror_fan_in_ratio", o_.mirror_fan_in_ratio}};
  }

  void attach(Network& net, uint64_t seed) override {
    FeedbackRule::attach(net, seed);
    // each flag's one value, or its value for each layer with a feedback weight, by network index
    std::vector<size_t> mirrored;
    std::string names;
    for (size_t i = 0; i < net.size(); ++i) {
      if (!feedback_[i].defined()) continue;
      mirrored.push_back(i);
      names += (names.empty() ? "" : ", ") + net.layer(i).name();
    }
    const size_t n = mirrored.size();
    const auto lr = per_layer_values("--mirror-lr", o_.mirror_lr, n, "feedback layer", names);
    const auto decay = per_layer_values("--mirror-decay", o_.mirror_decay, n, "feedback layer", names);
    const auto samples = per_layer_values("--mirror-samples", o_.mirror_samples, n, "feedback layer", names);
    lr_.assign(net.size(), 0.0f);
    decay_.assign(net.size(), 0.0f);
    samples_.assign(net.size(), 0);
    for (size_t m = 0; m < n; ++m) {
      lr_[mirrored[m]] = lr[m];
      decay_[mirrored[m]] = decay[m];
      samples_[mirrored[m]] = samples[m];
    }
    noise_rng_ = Rng(seed ^ 0x0D15EA5Eull);
    for (int s = 0; s < o_.mirror_steps; ++s) mirror(net);
  }
  std::vector<std::pair<std::string, Rng*>> rng_streams() override { return {{"noise", &noise_rng_}}; }

 protected:
  void update_feedback(Network& net, const Batch&, Optimizer&) override { mirror(net); }

 private:
  // One mirror update of every layer's B. Uses the layer's forward and weight
  // gradient primitives, so it clobbers W's grad and the layer's cache
  // (both are spent by the time it runs).
  void mirror(Network& net) {
    const float variance = o_.mirror_noise * o_.mirror_noise / 12.0f;
    const float half = 0.5f * o_.mirror_noise;
    for (size_t i = 0; i < net.size(); ++i) {
      if (!feedback_[i].defined()) continue;
      Layer& layer = net.layer(i);
      Shape shape = i == 0 ? net.input_shape() : net_input_shape(net, i);
      const Shape out = layer.output_shape(shape);
      const Tensor& w = layer.weight()->value;
      const double fan_in = static_cast<double>(w.numel()) / w.dim(0);
      const double positions = static_cast<double>(shape_numel(out)) / out[0];
      // Estimating W from probes is a regression on fan_in inputs: its noise
      // falls as sqrt(fan_in / pairs), so wide fully connected layers get more probes.
      const int samples = std::max(samples_[i],
                                   static_cast<int>(std::ceil(o_.mirror_fan_in_ratio * fan_in / positions)));
      shape.insert(shape.begin(), samples);
      ensure(probe_, shape, feedback_[i].device());
      const bool on_host = probe_.device() == Device::CPU;
      if (!on_host) host_probe_.resize(probe_.numel());
      float* values = on_host ? probe_.data() : host_probe_.data();
      for (size_t k = 0; k < probe_.numel(); ++k) values[k] = noise_rng_.uniform(-half, half);
      if (!on_host) cuda_copy_to_device(probe_.data(), host_probe_.data(), probe_.numel() * sizeof(float));
      // y = W x without the bias: b x^T has zero mean but only adds noise to the estimate.
      Param* bias = layer.bias();
      if (bias) {
        ensure(saved_bias_, bias->value.shape(), bias->value.device());
        saved_bias_.copy_from(bias->value);
        bias->value.zero();
      }
      const Tensor& y = layer.forward(probe_);
      if (bias) bias->value.copy_from(saved_bias_);
      layer.weight_grads(y);
      // the gradient sums y x^T over every probe and, for a conv layer, every output position
      const float pairs = static_cast<float>(y.numel() / static_cast<size_t>(y.dim(1)));
      axpby(feedback_[i], layer.weight()->grad, lr_[i] / (pairs * variance), 1.0f - decay_[i]);
    }
  }
  // The per-sample input shape of layer i (the previous layer's output shape).
  static Shape net_input_shape(Network& net, size_t i) {
    Shape s = net.input_shape();
    for (size_t j = 0; j < i; ++j) s = net.layer(j).output_shape(s);
    return s;
  }

  WeightMirrorOptions o_;
  std::vector<float> lr_, decay_;  // per network layer (0 where there is no feedback weight)
  std::vector<int> samples_;
  Rng noise_rng_{1};
  Tensor probe_, saved_bias_;
  std::vector<float> host_probe_;
};

// In the study: B mirrored over ~20 steps in conv1, conv2 and fc2 (fc2 with 1024 probes a step) and ~1000 in
// fc1 (553 probes); B averages W over ~1/lambda_B steps and lags it, and a lagging fc2 feedback limits the rate,
// so 0.003 lowered by a cosine (docs/RESULTS.md). The per-layer lists are the seed LeNet's.
ML_REGISTER_RULE(
    weight_mirror,
    {.name = "weight-mirror",
     .order = 60,
     .training_defaults = {{"lr", "0.003"}, {"lr-schedule", "cosine"}},
     .flags = {{"mirror-lr", FlagType::FloatList, "0.001",
                "eta_B (B -> (mirror-lr / mirror-decay) W); one value, or comma-separated, one per "
                "layer with a feedback weight from the bottom up (as --mirror-decay, --mirror-samples)"},
               {"mirror-decay", FlagType::FloatList, "0.001",
                "lambda_B, B's decay per mirror step (B averages W over ~1/lambda_B steps)"},
               {"mirror-noise", FlagType::Float, "0.1", "probe amplitude, x ~ a * U(-0.5, 0.5)"},
               {"mirror-samples", FlagType::IntList, "32", "probe samples per batch"},
               {"mirror-fan-in-ratio", FlagType::Float, "0",
                "at least this many probe input/output pairs per layer and step, as a multiple of "
                "the layer's fan-in (a conv layer's output positions count as pairs)"},
               {"mirror-steps", FlagType::Int, "1000",
                "mirror-only steps before training (the mirror phase)"}},
     .study_flags = "--mirror-steps 5000 --mirror-fan-in-ratio 0.06 --mirror-decay 0.05,0.05,0.001,0.05 "
                    "--mirror-lr 0.05,0.05,0.001,0.05 --mirror-samples 32,32,32,1024",
     .study_cost = 2.5,
     .make = [](const FlagValues& f) -> std::unique_ptr<LearningRule> {
       return std::make_unique<WeightMirror>(WeightMirrorOptions{.mirror_lr = f.get_floats("mirror-lr"),
                                                                 .mirror_decay = f.get_floats("mirror-decay"),
                                                                 .mirror_noise = f.get_float("mirror-noise"),
                                                                 .mirror_samples = f.get_ints("mirror-samples"),
                                                                 .mirror_fan_in_ratio = f.get_float("mirror-fan-in-ratio"),
                                                                 .mirror_steps = f.get_int("mirror-steps")});
     }})

}  // namespace ml
