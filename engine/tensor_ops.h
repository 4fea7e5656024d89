// Device-dispatching helpers over whole tensors, used by the learning rules,
// and host-side measurements (in double) for the alignment logs.
#pragma once
#include <vector>

#include "base/rng.h"
#include "engine/tensor.h"

namespace ml {

// y = a * x + b * y on the tensors' device (same numel, same device).
void axpby(Tensor& y, const Tensor& x, float a, float b);

// out = sign(w) * (magnitude ? |magnitude| : scale).
void sign_feedback(Tensor& out, const Tensor& w, const Tensor* magnitude, float scale);

// A tensor of this shape, uniform in [lo, hi), drawn on the host from rng (deterministic), then moved to d.
Tensor random_uniform(const Shape& shape, float lo, float hi, Rng& rng, Device d);

// The angle in degrees between two flattened tensors (90 when either is zero), in double.
double angle_degrees(const std::vector<float>& a, const std::vector<float>& b);
double norm(const std::vector<float>& a);

}  // namespace ml
