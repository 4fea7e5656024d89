// CUDA batch gather against the CPU reference: exact (pure copies).
#include <vector>

#include "engine/int_buffer.h"
#include "kernels/gather/gather.h"
#include "gpu_test_common.h"

TEST_CASE("gather_rows_cuda matches the CPU reference exactly", "[gpu][gather]") {
  struct Case {
    int src_rows, rows;
    size_t row_size;
  };
  // MNIST-like 784 floats per row at batch 64; rows wider than a block; 1-float rows
  const std::vector<Case> cases = {{1, 1, 1}, {100, 64, 784}, {10, 7, 3}, {50, 50, 1000}, {3, 5, 257}, {1000, 70000, 2}};
  uint32_t seed = 1;
  for (const auto& c : cases) {
    INFO("src_rows=" << c.src_rows << " rows=" << c.rows << " row_size=" << c.row_size);
    auto src = random_vector(static_cast<size_t>(c.src_rows) * c.row_size, seed++);
    std::vector<int32_t> labels_src(c.src_rows), index(c.rows);
    for (int i = 0; i < c.src_rows; ++i) labels_src[i] = i * 3 + 1;
    for (int i = 0; i < c.rows; ++i) index[i] = static_cast<int32_t>((static_cast<long long>(i) * 7919 + 13) % c.src_rows);
    std::vector<float> dst(static_cast<size_t>(c.rows) * c.row_size);
    std::vector<int32_t> labels_dst(c.rows);
    ml::gather_rows_cpu(dst.data(), labels_dst.data(), src.data(), labels_src.data(), index.data(), c.rows, c.row_size);

    Tensor gsrc = Tensor::from_vector({static_cast<int>(src.size())}, src, Device::CUDA);
    Tensor gdst({static_cast<int>(dst.size())}, Device::CUDA);
    ml::IntBuffer glabels_src(c.src_rows, Device::CUDA), gindex(c.rows, Device::CUDA), glabels_dst(c.rows, Device::CUDA);
    glabels_src.upload(labels_src.data(), labels_src.size());
    gindex.upload(index.data(), index.size());
    ml::gather_rows_cuda(gdst.data(), glabels_dst.data(), gsrc.data(), glabels_src.data(), gindex.data(), c.rows,
                         c.row_size);
    require_close(gdst.to_vector(), dst, 0.0, 0.0, "gather rows");
    CHECK(glabels_dst.to_vector() == labels_dst);

    // without labels: rows still copied, labels_dst untouched
    ml::IntBuffer untouched(c.rows, Device::CUDA);
    Tensor gdst2({static_cast<int>(dst.size())}, Device::CUDA);
    ml::gather_rows_cuda(gdst2.data(), untouched.data(), gsrc.data(), nullptr, gindex.data(), c.rows, c.row_size);
    require_close(gdst2.to_vector(), dst, 0.0, 0.0, "gather rows without labels");
    CHECK(untouched.to_vector() == std::vector<int32_t>(c.rows, 0));
  }
}
