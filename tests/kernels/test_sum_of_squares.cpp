// Sums of squares in double (predictive coding's energy): against closed forms, where
// every partial sum is an integer and so exact in double.
#include <catch2/catch.hpp>

#include "engine/host_transfers.h"
#include "engine/squared_norms.h"
#include "kernels/sum_of_squares/sum_of_squares.h"

using namespace ml;

TEST_CASE("sum_of_squares_cpu: 1^2 + ... + n^2 = n (n + 1) (2n + 1) / 6 for each of K arrays", "[kernels][sum_of_squares]") {
  const size_t sizes[] = {1, 7, 1000, 0, 4097};
  std::vector<std::vector<float>> arrays;
  for (size_t n : sizes) {
    std::vector<float> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(i + 1) * (i % 2 ? -1.0f : 1.0f);  // the sign must not matter
    arrays.push_back(v);
  }
  std::vector<const float*> x;
  for (const auto& a : arrays) x.push_back(a.data());
  double out[5] = {-1, -1, -1, -1, -1};
  sum_of_squares_cpu(out, x.data(), sizes, 5);
  for (int k = 0; k < 5; ++k) {
    const double n = static_cast<double>(sizes[k]);
    CHECK(out[k] == n * (n + 1) * (2 * n + 1) / 6);
  }
}

TEST_CASE("SquaredNorms: one sum per tensor, one host read for all of them", "[kernels][sum_of_squares]") {
  const Tensor a = Tensor::from_vector({2, 2}, {1, 2, 3, 4}), b = Tensor::from_vector({3}, {0.5f, -0.5f, 2});
  SquaredNorms norms;
  const uint64_t reads = host_transfers().reads;
  const std::vector<double>& s = norms({&a, &b});
  REQUIRE(host_transfers().reads == reads + 1);
  REQUIRE(s.size() == 2);
  CHECK(s[0] == 30.0);
  CHECK(s[1] == 4.5);
  CHECK(norms({}).empty());
}
