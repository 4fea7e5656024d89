#include "engine/network.h"

#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "engine/layers/activation.h"
#include "engine/layers/conv2d.h"
#include "engine/layers/global_avg_pool.h"
#include "engine/layers/linear.h"
#include "engine/layers/pcn_block.h"
#include "engine/spec_limits.h"

namespace ml {

std::string resolve_arch(const std::string& arch) {
  if (arch == "lenet") return "conv32k3-relu-conv64k3-relu-maxpool2-flatten-fc128-relu-fc10";
  if (arch == "pcn") return pcn_arch("small", kPcnDefaultCycles);  // ml-train's --pcn-size/--cycles pick others
  if (arch == "pcn-wen") return pcn_arch("wen", kPcnDefaultCycles);
  return arch;
}

namespace {

std::vector<std::string> split_tokens(const std::string& spec) {
  std::vector<std::string> tokens;
  std::stringstream ss(spec);
  std::string t;
  while (std::getline(ss, t, '-')) tokens.push_back(t);
  return tokens;
}

// Builds one layer from its token, given the per-sample input shape it receives;
// every number of the token and the layer's parameter count are checked first.
std::unique_ptr<Layer> make_layer(const std::string& token, const Shape& in) {
  static const std::regex conv(R"(conv(\d+)k(\d+)(?:s(\d+))?(?:p(\d+))?)");
  static const std::regex fc(R"(fc(\d+))");
  static const std::regex pool(R"(maxpool(\d+)(?:s(\d+))?)");
  std::smatch m;
  if (std::regex_match(token, m, conv)) {
    if (in.size() != 3) {
      throw std::invalid_argument("'" + token + "': a convolution needs a [C, H, W] input, got " + shape_str(in));
    }
    const int channels = spec_number(token, m[1], "channels", 1, kMaxSpecChannels);
    const int kernel = spec_number(token, m[2], "kernel", 1, kMaxSpecWindow);
    const int stride = m[3].matched ? spec_number(token, m[3], "stride", 1, kMaxSpecWindow) : 1;
    const int pad = m[4].matched ? spec_number(token, m[4], "padding", 0, kMaxSpecWindow) : 0;
    check_layer_params(token, int64_t{channels} * in[0] * kernel * kernel + channels);
    return std::make_unique<Conv2d>(in[0], channels, kernel, stride, pad);
  }
  if (std::regex_match(token, m, fc)) {
    if (in.size() != 1) {
      throw std::invalid_argument("'" + token + "': expects a flat input, got " + shape_str(in) +
                                  " (put 'flatten' before it)");
    }
    const int width = spec_number(token, m[1], "width", 1, kMaxSpecChannels);
    check_layer_params(token, int64_t{width} * in[0] + width);
    return std::make_unique<Linear>(in[0], width);
  }
  if (std::regex_match(token, m, pool)) {
    const int k = spec_number(token, m[1], "window", 1, kMaxSpecWindow);
    return std::make_unique<MaxPool2d>(k, m[2].matched ? spec_number(token, m[2], "stride", 1, kMaxSpecWindow) : k);
  }
  if (token == "relu") return std::make_unique<ReLU>();
  if (token == "flatten") return std::make_unique<Flatten>();
  if (token == "gap") return std::make_unique<GlobalAvgPool>();
  if (auto block = make_pcn_block(token, in)) return block;
  // a known layer with a field that is not a whole number: say which form was meant
  for (const char* form : {"conv<K>k<R>[s<S>][p<P>]", "fc<N>", "maxpool<k>[s<S>]"}) {
    const std::string name(form, std::string(form).find('<'));
    if (token.rfind(name, 0) == 0) {
      throw std::invalid_argument("'" + token + "': malformed (expected " + form + ", each field a whole number)");
    }
  }
  throw std::invalid_argument("'" + token +
                              "' is not a layer (expected conv<K>k<R>[s<S>][p<P>], fc<N>, relu, maxpool<k>[s<S>], "
                              "flatten, gap, pcn<C>[s<S>],...c<K>)");
}

std::string base_name(const std::string& token) {
  if (token.rfind("conv", 0) == 0) return "conv";
  if (token.rfind("fc", 0) == 0) return "fc";
  if (token.rfind("maxpool", 0) == 0) return "pool";
  if (token.rfind("pcn", 0) == 0) return "pcn";
  return token;
}

}  // namespace

Network::Network(const std::string& spec, const Shape& input_shape, uint64_t seed, Device device)
    : spec_(resolve_arch(spec)), input_shape_(input_shape), device_(Device::CPU) {
  if (spec_.empty()) throw std::invalid_argument("--arch: empty network spec");
  Shape shape = input_shape;
  std::map<std::string, int> counts;
  Rng rng(seed);
  for (const std::string& token : split_tokens(spec_)) {
    if (token.empty()) throw std::invalid_argument("--arch '" + spec_ + "': empty token (two '-' in a row?)");
    std::unique_ptr<Layer> layer;
    try {
      layer = make_layer(token, shape);
      const std::string base = base_name(token);
      layer->set_name(base + std::to_string(++counts[base]));
      shape = layer->output_shape(shape);
      check_activation(token, shape);  // what the next layer sizes its parameters by
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("--arch '" + spec_ + "': " + e.what());
    }
    Rng layer_rng = rng.split(layers_.size());
    layer->init(layer_rng);
    layer_output_shapes_.push_back(shape);
    layers_.push_back(std::move(layer));
  }
  output_shape_ = shape;
  if (output_shape_.size() != 1) {
    throw std::invalid_argument("--arch '" + spec_ + "': the network must end in a flat layer (fc<N>), it ends in " +
                                shape_str(output_shape_));
  }
  for (auto& l : layers_) {
    // a composite layer (the PCN block) names its own params in init()
    if (l->weight() && l->weight()->name.empty()) l->weight()->name = l->name() + ".weight";
    if (l->bias() && l->bias()->name.empty()) l->bias()->name = l->name() + ".bias";
  }
  to(device);
}

const Tensor& Network::forward(const Tensor& x) {
  Shape per_sample(x.shape().begin() + 1, x.shape().end());
  if (per_sample != input_shape_) {
    throw std::invalid_argument("network input " + shape_str(x.shape()) + " does not match the spec's input " +
                                shape_str(input_shape_));
  }
  const Tensor* h = &x;
  for (auto& l : layers_) h = &l->forward(*h);
  return *h;
}

std::vector<Param*> Network::params() {
  std::vector<Param*> all;
  for (auto& l : layers_) {
    for (Param* p : l->params()) all.push_back(p);
  }
  return all;
}

void Network::to(Device d) {
  for (auto& l : layers_) l->to(d);
  device_ = d;
}

size_t Network::num_parameters() {
  size_t n = 0;
  for (Param* p : params()) n += p->value.numel();
  return n;
}

std::string Network::summary() {
  std::ostringstream out;
  out << "input " << shape_str(input_shape_) << "\n";
  for (size_t i = 0; i < layers_.size(); ++i) {
    size_t n = 0;
    for (Param* p : layers_[i]->params()) n += p->value.numel();
    out << "  " << layers_[i]->name() << " " << layers_[i]->token() << " -> " << shape_str(layer_output_shapes_[i]);
    if (n) out << "  (" << n << " params)";
    out << "\n";
  }
  out << "total parameters " << num_parameters() << "\n";
  return out.str();
}

}  // namespace ml
