// The recurrent core of the deep predictive coding network (Wen et al. 2018,
// "Deep predictive coding network for object recognition") as ONE layer whose
// forward unrolls K cycles and whose backward is backprop through time over them.
//
// Levels r_0 = x (the block's input, never updated) and r_1..r_L. Level l has a
// feedforward conv FF_l (r_{l-1} -> r_l; 3x3, pad 1, stride 1 or 2, no bias), a
// feedback transposed conv FB_l with its OWN weight (r_l -> prediction of r_{l-1};
// the transposed op of a conv shaped like FF_l), a rate b_l per channel of r_l and,
// below the top, a rate a_l per channel of r_l. Rates are used as max(raw, 0).
//
//   sweep:    r_l = relu(FF_l(r_{l-1})),                      l = 1..L
//   cycle t:  top-down,  l = L..2:  p_{l-1} = FB_l(r_l)
//                                   r_{l-1} = relu(a_{l-1} p_{l-1} + (1 - a_{l-1}) r_{l-1})
//             bottom-up: p_0 = FB_1(r_1);  then l = 1..L:
//                                   r_l = relu(r_l + b_l FF_l(r_{l-1} - p_{l-1}))
//
// This is the update order of the authors' PyTorch code (PredNet.forward, the
// global-recurrence PCN): the top-down pass uses each
// freshly updated r_l for the next prediction; the bottom-up error of level l-1 uses
// the r_{l-1} just corrected in the same pass against the top-down prediction
// p_{l-1} of this cycle, except p_0, predicted from the r_1 the top-down pass left.
// Differences from the paper, on purpose: downsampling is a stride-2 FF conv and its
// exact transpose in FB (the paper max-pools after FF and upsamples bilinearly
// before FB), so FB is precisely "a conv's backward_input with its own weight".
//
// Spec token: pcn<C1>[s<S>],<C2>[s<S>],...c<K>, e.g. pcn16,32s2,64s2c6 (K = 0: the
// plain feedforward net conv-relu-...). Output: r_L after cycle K, [C_L, H_L, W_L].
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/layer.h"

namespace ml {

struct PcnStage {
  int channels = 1;
  int stride = 1;
};

class PcnBlock : public Layer {
 public:
  PcnBlock(int in_channels, std::vector<PcnStage> stages, int cycles);

  std::string token() const override;
  Shape output_shape(const Shape& in) const override;
  void init(Rng& rng) override;  // also names the params "<name>.ff1.weight", "<name>.a1", ...
  void to(Device d) override;

  // Runs the sweep and the K cycles. Keeps every intermediate for the backward
  // pass unless set_keep_for_backward(false) (evaluation: buffers are reused).
  const Tensor& forward(const Tensor& x) override;
  // Both run ONE backprop through the unrolled cycles for dy and share it: the
  // error at the block's input, and every param's grad (overwritten). The error
  // goes back through the block's own weights only: a feedback weight is refused.
  const Tensor& backward_input(const Tensor& dy, const Tensor* feedback = nullptr) override;
  void weight_grads(const Tensor& dy) override;

  std::vector<Param*> params() override;
  // FF_1's weight: the block's first-layer filters (what alignment logs and
  // feedback-weight rules look at); every param keeps the name init() gave it.
  Param* weight() override { return &ff_[0]; }

  int cycles() const { return cycles_; }
  int levels() const { return static_cast<int>(stages_.size()); }
  // r_L after cycle t of the last forward (t = 0: the feedforward sweep; t = cycles(): the output).
  const Tensor& top_after_cycle(int t) const;
  void set_keep_for_backward(bool keep) { keep_ = keep; }

  // Per-sample shapes [C_l, H_l, W_l] of r_1..r_L for a block input of per-sample shape in.
  std::vector<Shape> level_shapes(const Shape& in) const;
  // Called by forward after the sweep (t = 0) and after each cycle t = 1..K with r_1..r_L as they
  // stand then, for a recorder: the tensors are valid during the call only. Observing changes
  // nothing forward computes (in either buffer mode every level stays live to the end of its
  // cycle). An empty function removes the observer.
  using CycleObserver = std::function<void(int t, const std::vector<const Tensor*>& levels)>;
  void set_cycle_observer(CycleObserver observer) { observer_ = std::move(observer); }

 private:
  enum class Op { FF, FB, Relu, Blend, Sub, Correct };
  // One op of the unrolled graph on value slots; `level` picks the weights/rates.
  struct Node {
    Op op;
    int level;
    int in0, in1, out;
  };

  void build_graph();
  void assign_buffers();
  Tensor& value(int slot);
  Shape slot_shape(int slot) const;
  void run_forward_node(const Node& n);
  void run_backward(const Tensor& dy);
  void backward_node(const Node& n);
  template <class F>
  void accumulate_grad(int slot, F&& compute);
  void add_scaled_grad(int slot, const Tensor& g, float alpha);
  template <class F>
  void accumulate_param_grad(Param& p, size_t index, F&& compute);

  int in_channels_;
  std::vector<PcnStage> stages_;
  int cycles_;
  std::vector<Param> ff_, fb_, a_, b_;

  std::vector<Node> nodes_;
  std::vector<int> slot_level_;  // slot 0 is the input x
  std::vector<int> top_slots_;   // r_L after cycle t
  std::vector<std::vector<int>> level_slots_;  // [t][l - 1]: r_l after cycle t
  std::vector<size_t> cycle_end_;              // [t]: one past the last node of cycle t in nodes_
  std::vector<int> buffer_keep_, buffer_lean_;  // slot -> buffer, for training / evaluation
  std::vector<Tensor> buffers_;
  std::vector<Shape> level_shapes_;  // [N, C, H, W] per level, of the last forward
  bool keep_ = true, kept_ = false;  // kept_: the last forward kept everything

  CycleObserver observer_;

  std::vector<Tensor> grads_;    // per slot
  std::vector<char> written_;    // per slot: grads_[slot] holds a value
  std::vector<char> param_written_;
  Tensor scratch_, param_scratch_;
  bool backward_fresh_ = false;  // the grads belong to the last forward and last_dy_
  const float* last_dy_ = nullptr;
};

// A PcnBlock for the pcn token given the per-sample input shape; nullptr when
// the token does not start with "pcn"; std::invalid_argument naming the token when malformed.
std::unique_ptr<Layer> make_pcn_block(const std::string& token, const Shape& in);

// The spec that --arch pcn resolves to: the PCN block of --pcn-size with
// --cycles cycles, then global average pooling and a linear readout of 10 classes.
// size: "small" (fits 28x28 grey and 32x32 colour; cheap enough for a CPU),
// "paper" (8 conv levels 64..512 with stride 2 where Wen et al. pool) or "wen"
// (the widths of the authors' released PredNet, prednet.py of
// libilab/PCN-with-Global-Recurrent-Processing: 64, 64, 128, 128, 256 x 4, pooling
// after levels 3 and 5, here stride 2 there; --arch pcn-wen).
std::string pcn_arch(const std::string& size, int cycles);
constexpr int kPcnDefaultCycles = 6;  // REFERENCES.md: Wen et al. run their PCN for 6 cycles
constexpr int kMaxPcnCycles = 1000;   // each cycle keeps its values for BPTT: far beyond any useful run

}  // namespace ml
