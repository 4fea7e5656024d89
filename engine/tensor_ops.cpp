#include "engine/tensor_ops.h"

#include <cmath>
#include <stdexcept>

#include "kernels/elementwise/elementwise.h"

namespace ml {

static void require_same(const Tensor& a, const Tensor& b, const char* what) {
  if (a.numel() != b.numel() || a.device() != b.device()) {
    throw std::invalid_argument(std::string(what) + ": " + shape_str(a.shape()) + " on " + device_name(a.device()) +
                                " vs " + shape_str(b.shape()) + " on " + device_name(b.device()));
  }
}

void axpby(Tensor& y, const Tensor& x, float a, float b) {
  require_same(y, x, "axpby");
  ML_ON_DEVICE(y.device(), axpby, y.data(), x.data(), a, b, y.numel());
}

void sign_feedback(Tensor& out, const Tensor& w, const Tensor* magnitude, float scale) {
  require_same(out, w, "sign_feedback");
  if (magnitude) require_same(*magnitude, w, "sign_feedback magnitude");
  const float* m = magnitude ? magnitude->data() : nullptr;
  ML_ON_DEVICE(w.device(), sign_feedback, out.data(), w.data(), m, scale, w.numel());
}

Tensor random_uniform(const Shape& shape, float lo, float hi, Rng& rng, Device d) {
  std::vector<float> v(shape_numel(shape));
  for (auto& x : v) x = rng.uniform(lo, hi);
  return Tensor::from_vector(shape, v, d);
}

double norm(const std::vector<float>& a) {
  double s = 0;
  for (float x : a) s += double(x) * x;
  return std::sqrt(s);
}

double angle_degrees(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) throw std::invalid_argument("angle_degrees: sizes differ");
  double dot = 0;
  for (size_t i = 0; i < a.size(); ++i) dot += double(a[i]) * b[i];
  const double na = norm(a), nb = norm(b);
  if (na == 0 || nb == 0) return 90.0;
  return std::acos(std::max(-1.0, std::min(1.0, dot / (na * nb)))) * 180.0 / M_PI;
}

}  // namespace ml
