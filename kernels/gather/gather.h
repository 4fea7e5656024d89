// Batch assembly from a data set kept whole on the device:
// dst[i, :] = src[index[i], :] for i < rows, each row row_size floats.
// labels_dst[i] = labels_src[index[i]] when both are non-null.
#pragma once
#include <cstddef>
#include <cstdint>

namespace ml {

void gather_rows_cpu(float* dst, int32_t* labels_dst, const float* src, const int32_t* labels_src,
                     const int32_t* index, int rows, size_t row_size);
// index must be a device pointer too.
void gather_rows_cuda(float* dst, int32_t* labels_dst, const float* src, const int32_t* labels_src,
                      const int32_t* index, int rows, size_t row_size);

}  // namespace ml
