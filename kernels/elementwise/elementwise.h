// Small elementwise ops the learning rules build on. Outputs overwrite;
// y may alias x where noted.
#pragma once
#include <cstddef>

namespace ml {

// y = a * x + b * y  (x may alias y)
void axpby_cpu(float* y, const float* x, float a, float b, size_t n);
void axpby_cuda(float* y, const float* x, float a, float b, size_t n);

// Sign-symmetric feedback: out = sign(w) * (magnitude ? |magnitude| : scale), sign(0) = 0.
void sign_feedback_cpu(float* out, const float* w, const float* magnitude, float scale, size_t n);
void sign_feedback_cuda(float* out, const float* w, const float* magnitude, float scale, size_t n);

}  // namespace ml
