// FastDiv (the multiply-and-shift division the convolution kernels use on the
// GPU) against the hardware's / for small divisors exhaustively near their
// multiples, powers of two and their neighbours, and numerators up to 2^31 - 1.
#include <catch2/catch.hpp>
#include <climits>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

#include "kernels/fast_div.h"

TEST_CASE("FastDiv equals integer division for every divisor shape") {
  std::vector<int> divisors;
  for (int d = 1; d <= 1100; ++d) divisors.push_back(d);
  for (int e = 11; e <= 30; ++e) {
    const int p = 1 << e;
    divisors.insert(divisors.end(), {p - 1, p, p + 1, 3 * (p / 2) + 7});
  }
  divisors.insert(divisors.end(), {INT_MAX, INT_MAX - 1, 46341, 200704, 173056, 147456});
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> any(0, INT_MAX);
  long long mismatches = 0;
  for (int d : divisors) {
    const ml::FastDiv fd(d);
    const long long dl = d, top = INT_MAX;  // candidates in 64 bits: d + 1 overflows int for d = INT_MAX
    std::vector<long long> candidates = {0, 1, dl - 1, dl, dl + 1, top, top - 1, top - dl + 1};
    for (long long k = 1; k <= 64; ++k) {  // around multiples of d, small and near the top of the range
      const long long small = dl * k, big = top - dl * k;
      candidates.insert(candidates.end(), {small - 1, small, small + 1, big - 1, big, big + 1});
    }
    std::vector<int> xs;
    for (long long v : candidates)
      if (v >= 0 && v <= top) xs.push_back(static_cast<int>(v));
    for (int k = 0; k < 200; ++k) xs.push_back(any(rng));
    for (int x : xs)
      if (x >= 0 && fd.div(x) != x / d) ++mismatches;
  }
  REQUIRE(mismatches == 0);
}

TEST_CASE("FastDiv is exhaustive over the LeNet index range for its divisors") {
  for (int d : {3, 9, 24, 26, 28, 576, 676, 784}) {
    const ml::FastDiv fd(d);
    int bad = 0;
    for (int x = 0; x < 300000; ++x) bad += fd.div(x) != x / d;
    REQUIRE(bad == 0);
  }
}

TEST_CASE("FastDiv refuses a divisor below 1") {
  REQUIRE_THROWS_AS(ml::FastDiv(0), std::invalid_argument);
  REQUIRE_THROWS_AS(ml::FastDiv(-3), std::invalid_argument);
}
