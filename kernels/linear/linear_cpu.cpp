// CPU fully connected layer on Eigen's GEMM (multithreaded through OpenMP).
#include <cstring>

#include "kernels/eigen_maps.h"
#include "kernels/linear/linear.h"

namespace ml {

void linear_forward_cpu(float* y, const float* x, const float* w, const float* b, const LinearShape& s) {
  MutMatrixMap Y(y, s.N, s.out);
  Y.noalias() = ConstMatrixMap(x, s.N, s.in) * ConstMatrixMap(w, s.out, s.in).transpose();
  if (b) Y.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(b, s.out);
}

void linear_backward_input_cpu(float* dx, const float* dy, const float* w, const LinearShape& s) {
  MutMatrixMap(dx, s.N, s.in).noalias() = ConstMatrixMap(dy, s.N, s.out) * ConstMatrixMap(w, s.out, s.in);
}

void linear_backward_weight_cpu(float* dw, float* db, const float* dy, const float* x, const LinearShape& s) {
  ConstMatrixMap DY(dy, s.N, s.out);
  MutMatrixMap(dw, s.out, s.in).noalias() = DY.transpose() * ConstMatrixMap(x, s.N, s.in);
  if (db) Eigen::Map<Eigen::RowVectorXf>(db, s.out) = DY.colwise().sum();
}

}  // namespace ml
