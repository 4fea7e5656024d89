// CUDA PCN recurrent update against the CPU reference. The elementwise parts do
// the same float operations in the same order: exact. The rate gradients are
// per-channel sums of N*HW products in another order (double in both): 1e-5
// relative to the sum of |terms| is far above rounding and far below a wrong
// index.
#include <cmath>
#include <vector>

#include "kernels/pcn_update/pcn_update.h"
#include "gpu_test_common.h"

namespace {

struct Case {
  int N, C, HW;
};
// 64 x 32 x 784: a training batch at the first level of the small PCN; 1000 x 64 x 49: a test batch at the top.
const std::vector<Case> kCases = {{1, 1, 1}, {2, 3, 5}, {3, 5, 257}, {64, 32, 784}, {1000, 64, 49}};

}  // namespace

TEST_CASE("pcn blend CUDA matches the CPU reference", "[gpu][pcn_update]") {
  uint32_t seed = 1;
  for (const Case& c : kCases) {
    INFO("N=" << c.N << " C=" << c.C << " HW=" << c.HW);
    const size_t n = static_cast<size_t>(c.N) * c.C * c.HW;
    const ml::ChannelShape s{c.N, c.C, c.HW};
    auto p = random_vector(n, seed++), r = random_vector(n, seed++), dout = random_vector(n, seed++);
    auto a = random_vector(c.C, seed++, -0.2f, 1.0f);  // some negative: rate 0, no gradient
    auto dp0 = random_vector(n, seed++), dr0 = random_vector(n, seed++), da0 = random_vector(c.C, seed++);

    std::vector<float> out(n);
    ml::pcn_blend_forward_cpu(out.data(), p.data(), r.data(), a.data(), s);
    Tensor gp = on_gpu(p), gr = on_gpu(r), ga = on_gpu(a), gout = on_gpu(std::vector<float>(n, 3.0f));
    ml::pcn_blend_forward_cuda(gout.data(), gp.data(), gr.data(), ga.data(), s);
    require_close(gout.to_vector(), out, 0.0, 0.0, "blend forward");

    double scale = 0;  // sum of |terms| of the largest channel sum bounds its rounding
    for (size_t i = 0; i < n; ++i) scale += std::fabs(dout[i] * (p[i] - r[i]));
    for (bool add : {false, true}) {
      std::vector<float> dp = dp0, dr = dr0, da = da0;
      ml::pcn_blend_backward_cpu(dp.data(), dr.data(), da.data(), dout.data(), out.data(), p.data(), r.data(),
                                 a.data(), s, add, !add);
      Tensor gdp = on_gpu(dp0), gdr = on_gpu(dr0), gda = on_gpu(da0), gdout = on_gpu(dout);
      ml::pcn_blend_backward_cuda(gdp.data(), gdr.data(), gda.data(), gdout.data(), gout.data(), gp.data(), gr.data(),
                                  ga.data(), s, add, !add);
      require_close(gdp.to_vector(), dp, 0.0, 0.0, "blend dp");
      require_close(gdr.to_vector(), dr, 0.0, 0.0, "blend dr");
      require_close(gda.to_vector(), da, 1e-5 * scale + 1e-6, 1e-6, "blend da");
    }
  }
}

TEST_CASE("pcn correct CUDA matches the CPU reference", "[gpu][pcn_update]") {
  uint32_t seed = 100;
  for (const Case& c : kCases) {
    INFO("N=" << c.N << " C=" << c.C << " HW=" << c.HW);
    const size_t n = static_cast<size_t>(c.N) * c.C * c.HW;
    const ml::ChannelShape s{c.N, c.C, c.HW};
    auto r = random_vector(n, seed++), f = random_vector(n, seed++), dout = random_vector(n, seed++);
    auto b = random_vector(c.C, seed++, -0.2f, 1.5f);
    auto dr0 = random_vector(n, seed++), df0 = random_vector(n, seed++), db0 = random_vector(c.C, seed++);

    std::vector<float> out(n);
    ml::pcn_correct_forward_cpu(out.data(), r.data(), f.data(), b.data(), s);
    Tensor gr = on_gpu(r), gf = on_gpu(f), gb = on_gpu(b), gout = on_gpu(std::vector<float>(n, 3.0f));
    ml::pcn_correct_forward_cuda(gout.data(), gr.data(), gf.data(), gb.data(), s);
    require_close(gout.to_vector(), out, 0.0, 0.0, "correct forward");

    double scale = 0;
    for (size_t i = 0; i < n; ++i) scale += std::fabs(dout[i] * f[i]);
    for (bool add : {false, true}) {
      std::vector<float> dr = dr0, df = df0, db = db0;
      ml::pcn_correct_backward_cpu(dr.data(), df.data(), db.data(), dout.data(), out.data(), f.data(), b.data(), s,
                                   !add, add);
      Tensor gdr = on_gpu(dr0), gdf = on_gpu(df0), gdb = on_gpu(db0), gdout = on_gpu(dout);
      ml::pcn_correct_backward_cuda(gdr.data(), gdf.data(), gdb.data(), gdout.data(), gout.data(), gf.data(),
                                    gb.data(), s, !add, add);
      require_close(gdr.to_vector(), dr, 0.0, 0.0, "correct dr");
      require_close(gdf.to_vector(), df, 0.0, 0.0, "correct df");
      require_close(gdb.to_vector(), db, 1e-5 * scale + 1e-6, 1e-6, "correct db");
    }
  }
}
