// The counter-based normal draw shared by noise_cpu.cpp and noise_cuda.cu
// (host and device compile the same lines, so both sides draw the same z_i).
#pragma once
#include <cmath>
#include <cstdint>

#include "kernels/host_device.h"

namespace ml {

ML_HOST_DEVICE inline uint64_t noise_mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// z_i ~ N(0, 1) from (seed, i): two independent 53-bit uniforms, Box-Muller's cosine branch.
ML_HOST_DEVICE inline float normal_at(uint64_t seed, uint64_t i) {
  const uint64_t base = noise_mix64(seed + 0x9E3779B97F4A7C15ull * (2 * i + 1));
  const uint64_t a = noise_mix64(base ^ 0x2545F4914F6CDD1Dull), b = noise_mix64(base + 0x632BE59BD9B4E019ull);
  const double u1 = (static_cast<double>(a >> 11) + 1.0) * (1.0 / 9007199254740992.0);  // (0, 1]
  const double u2 = static_cast<double>(b >> 11) * (1.0 / 9007199254740992.0);          // [0, 1)
  return static_cast<float>(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

}  // namespace ml
