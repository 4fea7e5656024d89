// Predictive coding as a local learning rule (Whittington & Bogacz 2017;
// Millidge, Tschantz & Buckley 2022), on any spec.
//
// Value nodes sit at block boundaries. A block is one weight layer plus the
// parameter-free layers that follow it up to the next weight layer (ReLU,
// max-pool, flatten: they are part of the block's prediction function); the
// first block also holds any parameter-free layers before the first weight
// layer. For the seed LeNet: conv1-relu | conv2-relu-maxpool-flatten |
// fc1-relu | fc2. Block k predicts mu_k = f_k(x_{k-1}) from the value node below
// it; x_0 is the input (clamped). The last block's prediction is the logits.
//
// Energy per sample, with the loss as the top energy term (Millidge 2022):
//   E = sum_{k < K} 1/2 ||eps_k||^2 + beta * loss(f_K(x_{K-1}), label),  eps_k = x_k - mu_k.
// That is the output clamped to the target: to first order in beta it equals a
// squared-error top term with the output node clamped at the nudged target
// t = logits - beta * dloss/dlogits, and its top error is eps_K = -beta dloss/dlogits,
// so the cross-entropy's gradient (not a squared error's) enters the network.
//
// Inference: the value nodes start at the forward pass (eps = 0), then T steps
//   x_k <- x_k - gamma dE/dx_k = x_k - gamma (eps_k - J_{k+1}^T eps_{k+1})
// (all nodes from the same predictions: a synchronous gradient step on E).
// At the equilibrium eps_k = J_{k+1}^T eps_{k+1}: backprop's recursion, so for small
// beta eps_k -> -beta dloss/dx_k (Whittington & Bogacz 2017). Those are the
// "targets" that make pc match backprop: x_k at equilibrium is the forward value
// nudged by -beta times backprop's gradient.
// gamma starts at --inference-lr and is halved, for good, whenever a step raises
// E: the stable step (2 / E's largest curvature, ~1 + |J|^2) shrinks as the
// weights grow, and a diverging inference would send huge "errors" into the
// weights and kill the network (seen at gamma 0.5 on LeNet late in epoch 1).
//
// Learning: every weight layer's update is local, the product of its block's
// prediction error (through its own activation's derivative) and its
// presynaptic value node: grad W_k = -1/(beta N) sum_n (f_k'^T eps_k) x_{k-1}^T,
// i.e. dE/dW_k / (beta N). Dividing by beta N makes the update backprop's
// gradient of the mean batch loss in the limit, so --lr means what it means for bp.
#pragma once
#include <functional>
#include <vector>

#include "engine/squared_norms.h"
#include "rules/learning_rule.h"

namespace ml {

struct PredictiveCodingOptions {
  int inference_steps;  // relaxation steps T of the value nodes per batch
  float inference_lr;   // step size gamma of each relaxation step
  float pc_beta;        // weight of the loss as the top energy term (the output's nudge)
};

class PredictiveCoding : public LearningRule {
 public:
  // Throws std::invalid_argument naming the flag for inference_steps < 0,
  // inference_lr <= 0 or pc_beta <= 0.
  explicit PredictiveCoding(const PredictiveCodingOptions& o);
  std::string name() const override { return "pc"; }
  void attach(Network& net, uint64_t seed) override;
  LossResult train_step(Network& net, const Batch& batch, Optimizer& opt) override;
  LossResult compute_gradients(Network& net, const Batch& batch) override;
  // Adds, besides the update angles: per layer its block's energy after
  // inference; for layer "network" the total energy before and after
  // inference ("energy_initial", "energy", per sample), "inference_steps",
  // the current step "inference_lr" and "inference_lr_halvings" so far.
  void log_alignment(Network& net, const Batch& batch, AlignmentLog& log, int epoch, int batch_index) override;
  nlohmann::json config() const override;
  // The step size and its halvings carry over from batch to batch.
  nlohmann::json scalar_state() const override { return {{"inference_lr", gamma_}, {"halvings", step_halvings_}}; }
  void restore_scalar_state(const nlohmann::json& s) override {
    gamma_ = s.at("inference_lr").get<float>();
    step_halvings_ = s.at("halvings").get<int>();
  }

  // The inference step now: --inference-lr, halved each time a step raised the energy.
  float inference_lr() const { return gamma_; }

  // When on, compute_gradients records the energy per sample before the first
  // and after every inference step (T + 1 values). The energy is computed at
  // every step anyway (the step halving needs it): a host copy of the errors.
  void set_track_energy(bool on) { track_energy_ = on; }
  const std::vector<double>& energy_trace() const { return energy_trace_; }
  // Per block, its term of the energy per sample after inference (with tracking on).
  const std::vector<double>& block_energy() const { return block_energy_; }

  // The inference of compute_gradients alone, exactly as training runs it (value nodes from the
  // forward pass, the label in the top energy term, the step halved when a step raises the energy,
  // the halving kept as in training), without writing any grad. Returns the forward pass's loss.
  LossResult infer(Network& net, const Batch& batch);
  // Called by every inference (compute_gradients, infer) with the free value nodes x_1..x_{K-1}
  // at its start (t = 0: the forward pass) and after each step t = 1..T, for a recorder: valid
  // during the call only. Observing changes nothing the rule computes. Empty: no observer.
  using StepObserver = std::function<void(int t, const std::vector<Tensor>& value_nodes)>;
  void set_step_observer(StepObserver observer) { observer_ = std::move(observer); }
  // Per free value node x_k, the network layer whose output it stands for (its block's last
  // layer); the blocks are built for net first.
  std::vector<size_t> value_node_layers(Network& net);

 private:
  struct Block {
    size_t first, weight, last;  // layer indices: [first, last], the weight layer among them
  };
  void build_blocks(Network& net);
  // Runs block k's layers on x and returns the block's prediction (owned by its last layer).
  const Tensor& predict_block(Network& net, size_t k, const Tensor& x);
  // Runs backward_input through layers hi, hi - 1, ..., lo (the error at layer hi's output).
  const Tensor& backward_through(Network& net, size_t hi, size_t lo, const Tensor& error);
  // Predictions of every block from the current value nodes; errors eps_k; the
  // top error as dloss/dlogits (of the mean loss). Returns the loss at the predicted logits.
  // With start, the value nodes are set to the predictions (the forward pass).
  LossResult predict_and_compare(Network& net, const Batch& batch, bool start);
  void relax(Network& net);  // one inference step on every free value node
  // Per sample, on the host; per_block (when given) gets each block's term.
  double energy(const LossResult& top_loss, std::vector<double>* per_block) const;
  void local_weight_grads(Network& net);

  int steps_;
  float gamma_, o_inference_lr_, beta_;  // gamma_: the current step (halved when a step raised E)
  int step_halvings_ = 0;
  bool track_energy_ = false;
  std::vector<Block> blocks_;
  const Network* built_for_ = nullptr;
  size_t net_size_ = 0;
  int batch_size_ = 0;
  std::vector<Tensor> x_, eps_;  // free value nodes x_1..x_{K-1} and their errors (index k - 1)
  mutable SquaredNorms squared_norms_;  // the energy's sums, with their device scratch
  const Tensor* dlogits_ = nullptr;  // dloss/dlogits of the mean loss at the current predictions
  std::vector<double> energy_trace_, block_energy_;
  StepObserver observer_;
};

}  // namespace ml
