#include "engine/layers/pcn_block.h"

#include <algorithm>
#include <cmath>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "engine/spec_limits.h"
#include "engine/tensor_ops.h"
#include "kernels/conv2d/conv2d.h"
#include "kernels/pcn_update/pcn_update.h"
#include "kernels/relu/relu.h"

namespace ml {
namespace {

constexpr int kKernel = 3, kPad = 1;

void conv_forward(Tensor& y, const Tensor& x, const Tensor& w, const Conv2dShape& s) {
  ML_ON_DEVICE(x.device(), conv2d_forward, y.data(), x.data(), w.data(), nullptr, s);
}

// The transposed conv: [N, K, P, Q] -> [N, C, H, W] through w [K, C, R, S].
void conv_transposed(Tensor& x_shaped, const Tensor& y_shaped, const Tensor& w, const Conv2dShape& s) {
  ML_ON_DEVICE(y_shaped.device(), conv2d_backward_input, x_shaped.data(), y_shaped.data(), w.data(), s);
}

// dw = sum over n, p, q of dy (x) x, with dy shaped like the conv's output and x like its input.
void conv_weight_grad(Tensor& dw, const Tensor& dy, const Tensor& x, const Conv2dShape& s) {
  ML_ON_DEVICE(x.device(), conv2d_backward_weight, dw.data(), nullptr, dy.data(), x.data(), s);
}

ChannelShape channel_shape(const Shape& nchw) { return {nchw[0], nchw[1], nchw[2] * nchw[3]}; }

int conv_out(int size, int stride) { return (size + 2 * kPad - kKernel) / stride + 1; }

Param make_param(const Shape& shape) {
  Param p;
  p.value = Tensor(shape);
  p.grad = Tensor(shape);
  return p;
}

}  // namespace

PcnBlock::PcnBlock(int in_channels, std::vector<PcnStage> stages, int cycles)
    : in_channels_(in_channels), stages_(std::move(stages)), cycles_(cycles) {
  if (stages_.empty()) throw std::invalid_argument("pcn block: no levels");
  if (cycles_ < 0) throw std::invalid_argument("pcn block: cycles " + std::to_string(cycles_) + " must be >= 0");
  int below = in_channels_;
  for (size_t l = 0; l < stages_.size(); ++l) {
    const int c = stages_[l].channels;
    ff_.push_back(make_param({c, below, kKernel, kKernel}));
    fb_.push_back(make_param({c, below, kKernel, kKernel}));  // a transposed conv: r_l [c] -> r_{l-1} [below]
    b_.push_back(make_param({c}));
    if (l + 1 < stages_.size()) a_.push_back(make_param({c}));
    below = c;
  }
  build_graph();
  assign_buffers();
}

std::string PcnBlock::token() const {
  std::string t = "pcn";
  for (size_t l = 0; l < stages_.size(); ++l) {
    if (l) t += ",";
    t += std::to_string(stages_[l].channels);
    if (stages_[l].stride != 1) t += "s" + std::to_string(stages_[l].stride);
  }
  return t + "c" + std::to_string(cycles_);
}

Shape PcnBlock::output_shape(const Shape& in) const {
  const std::string where = "layer " + name_ + " '" + token() + "': ";
  if (in.size() != 3) throw std::invalid_argument(where + "expects a [C, H, W] input, got " + shape_str(in));
  if (in[0] != in_channels_) {
    throw std::invalid_argument(where + "expects " + std::to_string(in_channels_) + " channels, got " + shape_str(in));
  }
  return level_shapes(in).back();
}

std::vector<Shape> PcnBlock::level_shapes(const Shape& in) const {
  const std::string where = "layer " + name_ + " '" + token() + "': ";
  if (in.size() != 3) throw std::invalid_argument(where + "expects a [C, H, W] input, got " + shape_str(in));
  std::vector<Shape> levels;
  int H = in[1], W = in[2];
  for (const PcnStage& st : stages_) {
    if (H + 2 * kPad < kKernel || W + 2 * kPad < kKernel) {
      throw std::invalid_argument(where + "input " + shape_str(in) + " is too small for its " +
                                  std::to_string(stages_.size()) + " levels");
    }
    H = conv_out(H, st.stride), W = conv_out(W, st.stride);
    levels.push_back({st.channels, H, W});
  }
  return levels;
}

void PcnBlock::init(Rng& rng) {
  // PyTorch's default init of Conv2d and ConvTranspose2d (no bias): uniform in
  // +-1/sqrt(fan_in), and both compute fan_in from weight dim 1 (here the lower
  // level's channels) x 3 x 3. Rates as the authors' code: a = 0.5, b = 1.
  for (size_t l = 0; l < stages_.size(); ++l) {
    const std::string level = std::to_string(l + 1);
    for (Param* p : {&ff_[l], &fb_[l]}) {
      Rng stream = rng.split(p == &ff_[l] ? 2 * l : 2 * l + 1);
      const float bound = 1.0f / std::sqrt(static_cast<float>(p->value.dim(1) * kKernel * kKernel));
      p->value = random_uniform(p->value.shape(), -bound, bound, stream, p->value.device());
    }
    ff_[l].name = name_ + ".ff" + level + ".weight";
    fb_[l].name = name_ + ".fb" + level + ".weight";
    b_[l].value = Tensor::from_vector(b_[l].value.shape(), std::vector<float>(b_[l].value.numel(), 1.0f),
                                      b_[l].value.device());
    b_[l].name = name_ + ".b" + level;
    if (l < a_.size()) {
      a_[l].value = Tensor::from_vector(a_[l].value.shape(), std::vector<float>(a_[l].value.numel(), 0.5f),
                                        a_[l].value.device());
      a_[l].name = name_ + ".a" + level;
    }
  }
}

std::vector<Param*> PcnBlock::params() {
  std::vector<Param*> all;
  for (auto* group : {&ff_, &fb_, &a_, &b_}) {
    for (Param& p : *group) all.push_back(&p);
  }
  return all;
}

void PcnBlock::to(Device d) {
  Layer::to(d);
  for (Tensor& t : buffers_) t = Tensor();
  for (Tensor& t : grads_) t = Tensor();
  scratch_ = param_scratch_ = Tensor();
  backward_fresh_ = kept_ = false;
}

// The unrolled graph, in execution order; slot numbers index values and grads.
void PcnBlock::build_graph() {
  const int L = levels();
  slot_level_ = {0};
  auto new_slot = [&](int level) {
    slot_level_.push_back(level);
    return static_cast<int>(slot_level_.size()) - 1;
  };
  std::vector<int> r(L + 1), pred(L);
  r[0] = 0;
  for (int l = 1; l <= L; ++l) {
    const int pre = new_slot(l);
    nodes_.push_back({Op::FF, l, r[l - 1], -1, pre});
    r[l] = new_slot(l);
    nodes_.push_back({Op::Relu, l, pre, -1, r[l]});
  }
  top_slots_ = {r[L]};
  level_slots_ = {{r.begin() + 1, r.end()}};
  cycle_end_ = {nodes_.size()};
  for (int t = 1; t <= cycles_; ++t) {
    for (int l = L; l >= 2; --l) {  // top-down: each level moves toward the prediction from above
      pred[l - 1] = new_slot(l - 1);
      nodes_.push_back({Op::FB, l, r[l], -1, pred[l - 1]});
      const int moved = new_slot(l - 1);
      nodes_.push_back({Op::Blend, l - 1, pred[l - 1], r[l - 1], moved});
      r[l - 1] = moved;
    }
    pred[0] = new_slot(0);  // the input is predicted, never updated
    nodes_.push_back({Op::FB, 1, r[1], -1, pred[0]});
    for (int l = 1; l <= L; ++l) {  // bottom-up: each level is corrected by the error below it
      const int error = new_slot(l - 1);
      nodes_.push_back({Op::Sub, l - 1, r[l - 1], pred[l - 1], error});
      const int drive = new_slot(l);
      nodes_.push_back({Op::FF, l, error, -1, drive});
      const int corrected = new_slot(l);
      nodes_.push_back({Op::Correct, l, r[l], drive, corrected});
      r[l] = corrected;
    }
    top_slots_.push_back(r[L]);
    level_slots_.emplace_back(r.begin() + 1, r.end());
    cycle_end_.push_back(nodes_.size());
  }
}

// Training keeps one buffer per slot. Evaluation reuses a buffer of the same
// level once its slot has been read for the last time (never for the node's own
// inputs, and never for the per-cycle tops, which the readout reads afterwards).
void PcnBlock::assign_buffers() {
  const size_t slots = slot_level_.size();
  buffer_keep_.resize(slots);
  for (size_t s = 0; s < slots; ++s) buffer_keep_[s] = static_cast<int>(s);
  std::vector<size_t> last_use(slots, 0);
  for (size_t i = 0; i < nodes_.size(); ++i) {
    for (int in : {nodes_[i].in0, nodes_[i].in1}) {
      if (in >= 0) last_use[in] = i;
    }
  }
  for (int s : top_slots_) last_use[s] = nodes_.size();
  for (size_t t = 0; t < level_slots_.size(); ++t) {  // a cycle observer reads every level after the cycle's last node
    for (int s : level_slots_[t]) last_use[s] = std::max(last_use[s], cycle_end_[t] - 1);
  }
  buffer_lean_.assign(slots, 0);  // slot 0: the input
  std::vector<int> buffer_level = {0};
  std::vector<std::vector<int>> free_by_level(levels() + 1);
  std::vector<int> live;  // slots holding a buffer
  for (size_t i = 0; i < nodes_.size(); ++i) {
    for (auto it = live.begin(); it != live.end();) {
      if (last_use[*it] < i) {
        free_by_level[slot_level_[*it]].push_back(buffer_lean_[*it]);
        it = live.erase(it);
      } else {
        ++it;
      }
    }
    const int out = nodes_[i].out, level = slot_level_[out];
    if (!free_by_level[level].empty()) {
      buffer_lean_[out] = free_by_level[level].back();
      free_by_level[level].pop_back();
    } else {
      buffer_lean_[out] = static_cast<int>(slots + buffer_level.size());  // after the keep buffers
      buffer_level.push_back(level);
    }
    live.push_back(out);
  }
  buffers_.resize(slots + buffer_level.size());
}

Tensor& PcnBlock::value(int slot) {
  if (slot == 0) return input_;
  return buffers_[(kept_ ? buffer_keep_ : buffer_lean_)[slot]];
}

Shape PcnBlock::slot_shape(int slot) const { return level_shapes_[slot_level_[slot]]; }

const Tensor& PcnBlock::forward(const Tensor& x) {
  input_ = x;
  const int N = x.dim(0);
  level_shapes_ = {{N, x.dim(1), x.dim(2), x.dim(3)}};
  for (const PcnStage& st : stages_) {
    const Shape& below = level_shapes_.back();
    level_shapes_.push_back({N, st.channels, conv_out(below[2], st.stride), conv_out(below[3], st.stride)});
  }
  kept_ = keep_;
  backward_fresh_ = false;
  size_t cycle = 0;
  std::vector<const Tensor*> levels;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    ensure(value(nodes_[i].out), slot_shape(nodes_[i].out), x.device());
    run_forward_node(nodes_[i]);
    if (i + 1 != cycle_end_[cycle]) continue;
    if (observer_) {
      levels.clear();
      for (int s : level_slots_[cycle]) levels.push_back(&value(s));
      observer_(static_cast<int>(cycle), levels);
    }
    ++cycle;
  }
  output_ = value(top_slots_.back());
  return output_;
}

const Tensor& PcnBlock::top_after_cycle(int t) const {
  if (t < 0 || t > cycles_) {
    throw std::out_of_range("layer " + name_ + ": cycle " + std::to_string(t) + " of 0.." + std::to_string(cycles_));
  }
  return buffers_[(kept_ ? buffer_keep_ : buffer_lean_)[top_slots_[t]]];  // a top is never the input slot
}

void PcnBlock::run_forward_node(const Node& n) {
  Tensor& out = value(n.out);
  const int l = n.level;
  switch (n.op) {
    case Op::FF: {
      const Shape& below = level_shapes_[l - 1];
      Conv2dShape s{below[0], below[1], below[2], below[3], stages_[l - 1].channels, kKernel, kKernel,
                    stages_[l - 1].stride, kPad};
      conv_forward(out, value(n.in0), ff_[l - 1].value, s);
      break;
    }
    case Op::FB: {
      const Shape& below = level_shapes_[l - 1];
      Conv2dShape s{below[0], below[1], below[2], below[3], stages_[l - 1].channels, kKernel, kKernel,
                    stages_[l - 1].stride, kPad};
      conv_transposed(out, value(n.in0), fb_[l - 1].value, s);
      break;
    }
    case Op::Relu:
      ML_ON_DEVICE(out.device(), relu_forward, out.data(), value(n.in0).data(), out.numel());
      break;
    case Op::Blend: {
      const ChannelShape s = channel_shape(level_shapes_[l]);
      const float* a = a_[l - 1].value.data();
      ML_ON_DEVICE(out.device(), pcn_blend_forward, out.data(), value(n.in0).data(), value(n.in1).data(), a, s);
      break;
    }
    case Op::Sub:
      out.copy_from(value(n.in0));
      axpby(out, value(n.in1), -1.0f, 1.0f);
      break;
    case Op::Correct: {
      const ChannelShape s = channel_shape(level_shapes_[l]);
      const float* b = b_[l - 1].value.data();
      ML_ON_DEVICE(out.device(), pcn_correct_forward, out.data(), value(n.in0).data(), value(n.in1).data(), b, s);
      break;
    }
  }
}

const Tensor& PcnBlock::backward_input(const Tensor& dy, const Tensor* feedback) {
  if (feedback) {
    throw std::invalid_argument("layer " + name_ + " '" + token() +
                                "': a PCN block sends the error back through its own unrolled cycles only; a "
                                "feedback weight does not apply (use --rule bptt or bp)");
  }
  if (!backward_fresh_ || last_dy_ != dy.data()) run_backward(dy);
  grad_input_ = grads_[0];
  return grad_input_;
}

void PcnBlock::weight_grads(const Tensor& dy) {
  if (!backward_fresh_ || last_dy_ != dy.data()) run_backward(dy);
}

void PcnBlock::run_backward(const Tensor& dy) {
  if (!kept_) {
    throw std::logic_error("layer " + name_ + ": backward after a forward that did not keep its intermediates");
  }
  const Shape& top = slot_shape(top_slots_.back());
  if (dy.shape() != top) {
    throw std::invalid_argument("layer " + name_ + ": error " + shape_str(dy.shape()) + " does not match the output " +
                                shape_str(top));
  }
  grads_.resize(slot_level_.size());
  written_.assign(slot_level_.size(), 0);
  param_written_.assign(ff_.size() + fb_.size(), 0);
  for (Param& p : a_) p.grad.zero();  // the rate kernels add
  for (Param& p : b_) p.grad.zero();
  add_scaled_grad(top_slots_.back(), dy, 1.0f);
  for (size_t i = nodes_.size(); i-- > 0;) backward_node(nodes_[i]);
  for (size_t i = 0; i < ff_.size(); ++i) {  // a weight no op used (FB with 0 cycles) has gradient 0
    if (!param_written_[i]) ff_[i].grad.zero();
    if (!param_written_[ff_.size() + i]) fb_[i].grad.zero();
  }
  if (!written_[0]) {
    ensure(grads_[0], slot_shape(0), dy.device());
    grads_[0].zero();
  }
  backward_fresh_ = true;
  last_dy_ = dy.data();
}

// grads_[slot] (+)= compute(dst): directly into the grad the first time, else
// through a scratch tensor and an add.
template <class F>
void PcnBlock::accumulate_grad(int slot, F&& compute) {
  const Shape shape = slot_shape(slot);
  const Device d = input_.device();
  if (!written_[slot]) {
    ensure(grads_[slot], shape, d);
    compute(grads_[slot]);
    written_[slot] = 1;
  } else {
    ensure(scratch_, shape, d);
    compute(scratch_);
    axpby(grads_[slot], scratch_, 1.0f, 1.0f);
  }
}

void PcnBlock::add_scaled_grad(int slot, const Tensor& g, float alpha) {
  if (!written_[slot]) {
    ensure(grads_[slot], slot_shape(slot), g.device());
    grads_[slot].zero();
    written_[slot] = 1;
  }
  axpby(grads_[slot], g, alpha, 1.0f);
}

template <class F>
void PcnBlock::accumulate_param_grad(Param& p, size_t index, F&& compute) {
  if (!param_written_[index]) {
    compute(p.grad);
    param_written_[index] = 1;
  } else {
    ensure(param_scratch_, p.grad.shape(), p.grad.device());
    compute(param_scratch_);
    axpby(p.grad, param_scratch_, 1.0f, 1.0f);
  }
}

void PcnBlock::backward_node(const Node& n) {
  if (!written_[n.out]) return;  // nothing flowed back into this op's output
  const Tensor& g = grads_[n.out];
  const int l = n.level;
  const Device d = g.device();
  switch (n.op) {
    case Op::FF: {
      const Shape& below = level_shapes_[l - 1];
      Conv2dShape s{below[0], below[1], below[2], below[3], stages_[l - 1].channels, kKernel, kKernel,
                    stages_[l - 1].stride, kPad};
      const Tensor& w = ff_[l - 1].value;
      accumulate_grad(n.in0, [&](Tensor& dst) { conv_transposed(dst, g, w, s); });
      const Tensor& x = value(n.in0);
      accumulate_param_grad(ff_[l - 1], l - 1, [&](Tensor& dw) { conv_weight_grad(dw, g, x, s); });
      break;
    }
    case Op::FB: {
      // p = FB(r) is the adjoint of a conv: dr = conv(dp) through the same
      // weight, and dW = the conv's weight grad with dy := r and x := dp.
      const Shape& below = level_shapes_[l - 1];
      Conv2dShape s{below[0], below[1], below[2], below[3], stages_[l - 1].channels, kKernel, kKernel,
                    stages_[l - 1].stride, kPad};
      const Tensor& w = fb_[l - 1].value;
      accumulate_grad(n.in0, [&](Tensor& dst) { conv_forward(dst, g, w, s); });
      const Tensor& r = value(n.in0);
      accumulate_param_grad(fb_[l - 1], ff_.size() + l - 1, [&](Tensor& dw) { conv_weight_grad(dw, r, g, s); });
      break;
    }
    case Op::Relu: {
      const Tensor& y = value(n.out);
      accumulate_grad(n.in0, [&](Tensor& dst) {
        ML_ON_DEVICE(d, relu_backward, dst.data(), g.data(), y.data(), g.numel());
      });
      break;
    }
    case Op::Blend: {
      for (int in : {n.in0, n.in1}) ensure(grads_[in], slot_shape(in), d);
      const ChannelShape s = channel_shape(level_shapes_[l]);
      Param& a = a_[l - 1];
      const bool add_dp = written_[n.in0], add_dr = written_[n.in1];
      auto& dp = grads_[n.in0];
      auto& dr = grads_[n.in1];
      ML_ON_DEVICE(d, pcn_blend_backward, dp.data(), dr.data(), a.grad.data(), g.data(), value(n.out).data(),
                                value(n.in0).data(), value(n.in1).data(), a.value.data(), s, add_dp, add_dr);
      written_[n.in0] = written_[n.in1] = 1;
      break;
    }
    case Op::Sub:
      add_scaled_grad(n.in0, g, 1.0f);
      add_scaled_grad(n.in1, g, -1.0f);
      break;
    case Op::Correct: {
      for (int in : {n.in0, n.in1}) ensure(grads_[in], slot_shape(in), d);
      const ChannelShape s = channel_shape(level_shapes_[l]);
      Param& b = b_[l - 1];
      const bool add_dr = written_[n.in0], add_df = written_[n.in1];
      auto& dr = grads_[n.in0];
      auto& df = grads_[n.in1];
      ML_ON_DEVICE(d, pcn_correct_backward, dr.data(), df.data(), b.grad.data(), g.data(), value(n.out).data(),
                                  value(n.in1).data(), b.value.data(), s, add_dr, add_df);
      written_[n.in0] = written_[n.in1] = 1;
      break;
    }
  }
}

std::unique_ptr<Layer> make_pcn_block(const std::string& token, const Shape& in) {
  if (token.rfind("pcn", 0) != 0) return nullptr;
  static const std::regex whole(R"(pcn(\d+(?:s\d+)?(?:,\d+(?:s\d+)?)*)c(\d+))");
  std::smatch m;
  const std::string expected = " (expected pcn<C>[s<S>],<C>[s<S>],...c<K>, e.g. pcn16,32s2,64s2c6)";
  if (!std::regex_match(token, m, whole)) throw std::invalid_argument("'" + token + "': malformed" + expected);
  if (in.size() != 3) {
    throw std::invalid_argument("'" + token + "': a PCN block needs a [C, H, W] input, got " + shape_str(in));
  }
  std::vector<PcnStage> stages;
  std::stringstream list(m[1].str());
  std::string item;
  while (std::getline(list, item, ',')) {
    const size_t s = item.find('s');
    PcnStage st;
    st.channels = spec_number(token, item.substr(0, s), "channels", 1, kMaxSpecChannels);
    st.stride = s == std::string::npos ? 1 : spec_number(token, item.substr(s + 1), "stride", 1, 2);
    stages.push_back(st);
  }
  const int cycles = spec_number(token, m[2].str(), "cycles", 0, kMaxPcnCycles);
  // The block allocates its weights when built: size them, and each level's
  // values per image, first (a level too small to convolve is output_shape's to report).
  int64_t params = 0;
  int below = in[0], H = in[1], W = in[2];
  for (size_t l = 0; l < stages.size(); ++l) {
    const int64_t c = stages[l].channels;
    params += 2 * c * below * kKernel * kKernel + c + (l + 1 < stages.size() ? c : 0);  // FF, FB, b and a
    below = stages[l].channels;
  }
  check_layer_params(token, params);
  for (const PcnStage& st : stages) {
    if (H + 2 * kPad < kKernel || W + 2 * kPad < kKernel) break;
    H = conv_out(H, st.stride), W = conv_out(W, st.stride);
    check_activation(token, {st.channels, H, W});
  }
  return std::make_unique<PcnBlock>(in[0], std::move(stages), cycles);
}

std::string pcn_arch(const std::string& size, int cycles) {
  if (cycles < 0 || cycles > kMaxPcnCycles) {
    throw std::invalid_argument("--cycles " + std::to_string(cycles) + ": must be 0.." + std::to_string(kMaxPcnCycles));
  }
  std::string levels;
  if (size == "small") levels = "32,64s2,64s2";
  else if (size == "paper") levels = "64,64,128s2,128,256s2,256,512,512";
  else if (size == "wen") levels = "64,64,128s2,128,256s2,256,256,256";
  else throw std::invalid_argument("--pcn-size '" + size + "': unknown (known: small, paper, wen)");
  return "pcn" + levels + "c" + std::to_string(cycles) + "-gap-fc10";
}

}  // namespace ml
