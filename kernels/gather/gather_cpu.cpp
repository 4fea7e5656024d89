#include <cstring>

#include "kernels/gather/gather.h"

namespace ml {

void gather_rows_cpu(float* dst, int32_t* labels_dst, const float* src, const int32_t* labels_src,
                     const int32_t* index, int rows, size_t row_size) {
  for (int i = 0; i < rows; ++i) {
    std::memcpy(dst + i * row_size, src + static_cast<size_t>(index[i]) * row_size, sizeof(float) * row_size);
    if (labels_dst && labels_src) labels_dst[i] = labels_src[index[i]];
  }
}

}  // namespace ml
