// Row-major Eigen views over raw float buffers: the CPU kernels' GEMMs.
#pragma once
#include <Eigen/Core>

namespace ml {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixMap = Eigen::Map<RowMatrix, Eigen::Aligned16>;
using ConstMatrixMap = Eigen::Map<const RowMatrix>;
using MutMatrixMap = Eigen::Map<RowMatrix>;

}  // namespace ml
