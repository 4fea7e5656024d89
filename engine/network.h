// An ordered list of layers built from a spec string such as the seed LeNet
// "conv32k3-relu-conv64k3-relu-maxpool2-flatten-fc128-relu-fc10".
// Tokens: conv<K>k<R>[s<stride>][p<pad>], fc<N>, relu, maxpool<k>[s<stride>], flatten.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "engine/layer.h"

namespace ml {

// "lenet" -> the seed LeNet spec; any other string is returned unchanged.
std::string resolve_arch(const std::string& arch);

class Network {
 public:
  // input_shape is per sample: [C, H, W]. Throws std::invalid_argument with one
  // line "--arch 'SPEC': ..." naming the token or layer at fault; each token's
  // numbers and each layer's size are checked (engine/spec_limits.h) before
  // the layer allocates. Parameters are drawn from seed.
  Network(const std::string& spec, const Shape& input_shape, uint64_t seed, Device device = Device::CPU);

  const Tensor& forward(const Tensor& x);  // logits of the last layer

  size_t size() const { return layers_.size(); }
  Layer& layer(size_t i) { return *layers_[i]; }
  const Layer& layer(size_t i) const { return *layers_[i]; }
  std::vector<Param*> params();
  Device device() const { return device_; }
  void to(Device d);

  const std::string& spec() const { return spec_; }
  const Shape& input_shape() const { return input_shape_; }
  const Shape& output_shape() const { return output_shape_; }
  size_t num_parameters();
  std::string summary();  // one line per layer: name, token, output shape, params

 private:
  std::string spec_;
  Shape input_shape_, output_shape_;
  Device device_;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<Shape> layer_output_shapes_;
};

}  // namespace ml
