// CUDA log-softmax + NLL against the CPU reference.
#include <cmath>
#include <vector>

#include "engine/int_buffer.h"
#include "kernels/log_softmax_nll/log_softmax_nll.h"
#include "gpu_test_common.h"

TEST_CASE("log_softmax_nll CUDA kernels match the CPU reference", "[gpu][loss]") {
  struct Case {
    int N, C;
  };
  // C = 10 (the target use), 1, 31/32/33 around a warp, 1000 (many classes per lane)
  const std::vector<Case> cases = {{1, 1}, {1, 10}, {64, 10}, {7, 31}, {9, 32}, {5, 33}, {3, 1000}, {1000, 10}};
  uint32_t seed = 1;
  for (const auto& c : cases) {
    INFO("N=" << c.N << " C=" << c.C);
    auto logits = random_vector(static_cast<size_t>(c.N) * c.C, seed++, -8.0f, 8.0f);
    std::vector<int32_t> labels(c.N);
    for (int n = 0; n < c.N; ++n) labels[n] = (n * 7 + 3) % c.C;
    std::vector<float> logp(logits.size()), loss(c.N), dlogits(logits.size());
    const float scale = 1.0f / c.N;
    ml::log_softmax_nll_forward_cpu(logp.data(), loss.data(), logits.data(), labels.data(), c.N, c.C);
    ml::log_softmax_nll_backward_cpu(dlogits.data(), logp.data(), labels.data(), c.N, c.C, scale);

    Tensor glogits = on_gpu(logits), glogp = on_gpu(std::vector<float>(logits.size(), 0.0f));
    Tensor gloss = on_gpu(std::vector<float>(c.N, 0.0f)), gd = on_gpu(std::vector<float>(logits.size(), 0.0f));
    ml::IntBuffer glabels(c.N, Device::CUDA);
    glabels.upload(labels.data(), labels.size());
    ml::log_softmax_nll_forward_cuda(glogp.data(), gloss.data(), glogits.data(), glabels.data(), c.N, c.C);
    // Both sum exp in double and round the log once to float, then do the same float
    // subtraction: only the last bits of the double exp/log may differ. |logp| <= ~25 here,
    // so 1e-5 absolute (a few float ulps at that size) + 1e-6 relative.
    require_close(glogp.to_vector(), logp, 1e-5, 1e-6, "log_softmax");
    require_close(gloss.to_vector(), loss, 1e-5, 1e-6, "nll loss");

    ml::log_softmax_nll_backward_cuda(gd.data(), glogp.data(), glabels.data(), c.N, c.C, scale);
    // expf on the device is within 2 ulp of the host's; values are scale * O(1): 1e-6 absolute.
    require_close(gd.to_vector(), dlogits, 1e-6, 1e-5, "dlogits");
  }
}

TEST_CASE("log_softmax_nll CUDA writes NaN loss for a label out of range", "[gpu][loss]") {
  auto logits = random_vector(20, 3);
  std::vector<int32_t> labels = {1, 10};  // 10 is outside [0, 10)
  Tensor glogits = on_gpu(logits), glogp = on_gpu(std::vector<float>(20, 0.0f)), gloss = on_gpu({0.0f, 0.0f});
  ml::IntBuffer glabels(2, Device::CUDA);
  glabels.upload(labels.data(), 2);
  ml::log_softmax_nll_forward_cuda(glogp.data(), gloss.data(), glogits.data(), glabels.data(), 2, 10);
  auto loss = gloss.to_vector();
  CHECK(std::isfinite(loss[0]));
  CHECK(std::isnan(loss[1]));
}
