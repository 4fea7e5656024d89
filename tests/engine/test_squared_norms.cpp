// SquaredNorms (predictive coding's energy): against closed forms, where every partial sum is an
// integer and so exact in double. (Its GPU path is the optimizer's sum_squares op, compared with
// the CPU's in gpu_test_ops_parity.)
#include <catch2/catch.hpp>

#include "engine/host_transfers.h"
#include "engine/squared_norms.h"

using namespace ml;

TEST_CASE("SquaredNorms: 1^2 + ... + n^2 = n (n + 1) (2n + 1) / 6 per tensor, one host read for all", "[engine][squared_norms]") {
  const int sizes[] = {1, 7, 1000, 0, 4097};
  std::vector<Tensor> tensors;
  for (int n : sizes) {
    std::vector<float> v(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) v[i] = static_cast<float>(i + 1) * (i % 2 ? -1.0f : 1.0f);  // the sign must not matter
    tensors.push_back(Tensor::from_vector({n}, v));
  }
  std::vector<const Tensor*> all;
  for (const Tensor& t : tensors) all.push_back(&t);
  SquaredNorms norms;
  const uint64_t reads = host_transfers().reads;
  const std::vector<double>& s = norms(all);
  REQUIRE(host_transfers().reads == reads + 1);
  REQUIRE(s.size() == 5);
  for (int k = 0; k < 5; ++k) {
    const double n = sizes[k];
    CHECK(s[k] == n * (n + 1) * (2 * n + 1) / 6);
  }
  CHECK(norms({}).empty());
}
