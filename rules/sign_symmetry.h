// Sign symmetry (Liao, Leibo & Poggio 2016; Moskovitz et al. 2018): the error
// goes back through sign(W) times a magnitude, refreshed from W every batch.
// uniform (uSF): the magnitude is sqrt(2 / (fan_in + fan_out)) per layer;
// random (frSF): |M| with M fixed random, drawn like W's init;
// batchwise (brSF): |M| with M re-drawn like W's init before every batch.
#pragma once
#include <cmath>
#include <stdexcept>

#include "engine/tensor_ops.h"
#include "rules/feedback_rule.h"

namespace ml {

class SignSymmetry : public FeedbackRule {
 public:
  explicit SignSymmetry(std::string magnitude) : magnitude_(std::move(magnitude)) {
    if (magnitude_ != "uniform" && magnitude_ != "random" && magnitude_ != "batchwise") {
      throw std::invalid_argument("--feedback-magnitude '" + magnitude_ + "': expected uniform, random or batchwise");
    }
  }
  std::string name() const override { return "sign-symmetry"; }
  nlohmann::json config() const override { return {{"feedback_magnitude", magnitude_}}; }

  void attach(Network& net, uint64_t seed) override {
    FeedbackRule::attach(net, seed);  // feedback_ = random M, used as |M| in random mode
    if (magnitude_ != "uniform") magnitudes_ = feedback_;
    magnitude_rng_ = Rng(seed ^ 0xB5F0B5F0ull);
    for (auto& b : feedback_) {
      if (b.defined()) b = b.clone();  // B is rewritten from W each batch; M stays
    }
  }
  std::vector<NamedTensor> state() override {
    std::vector<NamedTensor> out = FeedbackRule::state();
    for (size_t i = 0; i < magnitudes_.size(); ++i) {
      if (magnitudes_[i].defined()) out.push_back({names_[i] + "_magnitude", magnitudes_[i]});
    }
    return out;
  }
  std::vector<std::pair<std::string, Rng*>> rng_streams() override { return {{"magnitude", &magnitude_rng_}}; }
  // Logging draws from a copy of the stream (it measures the magnitudes the next training batch will draw) and
  // leaves the feedback as training left it: with or without it, training and checkpoints are the same.
  void log_alignment(Network& net, const Batch& batch, AlignmentLog& log, int epoch, int batch_index) override {
    const Rng saved = magnitude_rng_;
    std::vector<Tensor> tensors;
    for (auto& t : state()) tensors.push_back(t.tensor.clone());
    FeedbackRule::log_alignment(net, batch, log, epoch, batch_index);
    magnitude_rng_ = saved;
    size_t k = 0;
    for (auto& t : state()) t.tensor.copy_from(tensors[k++]);
  }

 protected:
  void prepare_feedback(Network& net) override {
    for (size_t i = 0; i < net.size(); ++i) {
      if (!feedback_[i].defined()) continue;
      if (magnitude_ == "batchwise") magnitudes_[i] = initial_feedback(net.layer(i), magnitude_rng_);
      make_feedback(net.layer(i).weight()->value, i, feedback_[i]);
    }
  }
  // B from W; a test replaces it to check that B = W gives backprop exactly.
  virtual void make_feedback(const Tensor& w, size_t i, Tensor& b) {
    const float scale = std::sqrt(2.0f / static_cast<float>(fan_in(w) + fan_out(w)));
    sign_feedback(b, w, magnitude_ == "uniform" ? nullptr : &magnitudes_[i], scale);
  }

 private:
  std::string magnitude_;
  std::vector<Tensor> magnitudes_;
  Rng magnitude_rng_{1};  // batchwise: one stream for every redraw, so a run is deterministic
};

}  // namespace ml
