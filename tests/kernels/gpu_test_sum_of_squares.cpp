// The GPU's sums of squares: the CPU's to rounding (a long double loop as the oracle), the same bits
// on every call, arrays of any size (fewer items than threads, none, more than one grid's worth).
#include <random>

#include "engine_test_util.h"
#include "engine/squared_norms.h"

using namespace ml;

TEST_CASE("SquaredNorms on CUDA: the long double sum to 1e-12, deterministic", "[gpu][kernels][sum_of_squares]") {
  std::mt19937 gen(5);
  std::normal_distribution<float> z(0.0f, 3.0f);
  const int sizes[] = {1, 255, 0, 65536 * 3 + 17, 2359296};
  std::vector<Tensor> cpu, gpu;
  for (int n : sizes) {
    std::vector<float> v(static_cast<size_t>(n));
    for (float& f : v) f = z(gen);
    cpu.push_back(Tensor::from_vector({n}, v));
    gpu.push_back(Tensor::from_vector({n}, v, Device::CUDA));
  }
  std::vector<const Tensor*> on_gpu;
  for (const Tensor& t : gpu) on_gpu.push_back(&t);
  SquaredNorms norms;
  const std::vector<double> first = norms(on_gpu), second = norms(on_gpu);
  REQUIRE(first.size() == 5);
  for (size_t k = 0; k < cpu.size(); ++k) {
    long double oracle = 0;
    for (float f : cpu[k].to_vector()) oracle += static_cast<long double>(f) * f;
    INFO("array " << k << " of " << sizes[k] << " items");
    CHECK(std::abs(first[k] - static_cast<double>(oracle)) <= 1e-12 * static_cast<double>(oracle) + 1e-300);
    CHECK(first[k] == second[k]);
  }
}
