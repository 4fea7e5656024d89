// Deterministic random numbers that are the same on every compiler and
// standard library (std::*_distribution are not): splitmix64 plus our own
// uniform and normal transforms.
#pragma once
#include <cmath>
#include <cstdint>

namespace ml {

class Rng {
 public:
  explicit Rng(uint64_t seed = 1) : state_(seed) {}

  uint64_t next_u64() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // uniform in [0, 1) with 24 random bits
  float uniform() { return static_cast<float>(next_u64() >> 40) * (1.0f / 16777216.0f); }
  float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
  // standard normal by Box-Muller (double inside, so the tails are right)
  float normal() {
    double u1 = (static_cast<double>(next_u64() >> 11) + 1.0) * (1.0 / 9007199254740992.0);
    double u2 = static_cast<double>(next_u64() >> 11) * (1.0 / 9007199254740992.0);
    return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
  }
  // An independent stream for a named purpose (layer init, feedback weights, ...).
  Rng split(uint64_t stream) { return Rng(next_u64() ^ (stream * 0xD1B54A32D192ED03ull)); }

  uint64_t state() const { return state_; }

 private:
  uint64_t state_;
};

}  // namespace ml
