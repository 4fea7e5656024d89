// Helpers for the engine, rule and GPU tests: a deterministic batch, an SGD
// optimizer, device tensors, and the flattened values of every parameter.
#pragma once
#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "engine/network.h"
#include "engine/optimizer.h"
#include "rules/registry.h"
#include "test_util.h"

namespace ml_test {

inline ml::Batch make_batch(const ml::Shape& sample_shape, int n, uint32_t seed, int classes,
                            ml::Device d = ml::Device::CPU) {
  ml::Batch b;
  ml::Shape shape = {n};
  shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
  b.x = ml::Tensor::from_vector(shape, random_vector(ml::shape_numel(shape), seed), d);
  b.host_labels.resize(n);
  for (int i = 0; i < n; ++i) b.host_labels[i] = (i * 7 + 3) % classes;
  b.labels = ml::IntBuffer(n, d);
  b.labels.upload(b.host_labels.data(), n);
  return b;
}

// A 1-D device tensor holding v, and a zeroed one of n floats (GPU tests).
inline ml::Tensor on_gpu(const std::vector<float>& v) {
  return ml::Tensor::from_vector({static_cast<int>(v.size())}, v, ml::Device::CUDA);
}
inline ml::Tensor gpu_zeros(size_t n) { return ml::Tensor({static_cast<int>(n)}, ml::Device::CUDA); }

// Absolute tolerance for two float summation orders over L products of values
// in [-1, 1] (CPU vs GPU GEMMs): they differ by ~eps * sqrt(L) * |partial sums|
// in a random walk; 1e-5 * sqrt(L) (+1e-4 relative, by the caller) leaves a
// ~10x margin at L = 9216..43264 and stays far below an indexing error.
inline double atol_for(long long L) { return 1e-5 * std::sqrt(static_cast<double>(std::max(1LL, L))) + 1e-6; }

inline std::vector<std::vector<float>> param_values(ml::Network& net) {
  std::vector<std::vector<float>> out;
  for (ml::Param* p : net.params()) out.push_back(p->value.to_vector());
  return out;
}

inline std::unique_ptr<ml::Optimizer> sgd(float lr = 0.05f, float momentum = 0.9f) {
  ml::OptimizerConfig c;
  c.lr = lr;
  c.momentum = momentum;
  return ml::make_optimizer(c);
}

}  // namespace ml_test
