#include "benchmarks/cpu_baselines.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <Eigen/Dense>

namespace ml_bench {
namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MapRow = Eigen::Map<RowMatrix>;
using ConstMapRow = Eigen::Map<const RowMatrix>;

// Caffe's im2col for one sample: cols[(c*R + r)*S + t][p*Q + q].
void im2col(float* cols, const float* x, const ml::Conv2dShape& s) {
  const int P = s.P(), Q = s.Q();
  for (int c = 0; c < s.C; ++c)
    for (int r = 0; r < s.R; ++r)
      for (int t = 0; t < s.S; ++t) {
        float* row = cols + static_cast<size_t>((c * s.R + r) * s.S + t) * P * Q;
        for (int p = 0; p < P; ++p)
          for (int q = 0; q < Q; ++q) {
            const int h = p * s.stride + r - s.pad, v = q * s.stride + t - s.pad;
            row[p * Q + q] = h >= 0 && h < s.H && v >= 0 && v < s.W ? x[(c * s.H + h) * s.W + v] : 0.0f;
          }
      }
}

void col2im(float* dx, const float* cols, const ml::Conv2dShape& s) {
  const int P = s.P(), Q = s.Q();
  std::memset(dx, 0, sizeof(float) * s.C * s.H * s.W);
  for (int c = 0; c < s.C; ++c)
    for (int r = 0; r < s.R; ++r)
      for (int t = 0; t < s.S; ++t) {
        const float* row = cols + static_cast<size_t>((c * s.R + r) * s.S + t) * P * Q;
        for (int p = 0; p < P; ++p)
          for (int q = 0; q < Q; ++q) {
            const int h = p * s.stride + r - s.pad, v = q * s.stride + t - s.pad;
            if (h >= 0 && h < s.H && v >= 0 && v < s.W) dx[(c * s.H + h) * s.W + v] += row[p * Q + q];
          }
      }
}

}  // namespace

void conv_forward_eigen(float* y, const float* x, const float* w, const float* b, const ml::Conv2dShape& s,
                        ConvScratch& scratch) {
  const int PQ = s.P() * s.Q(), CRS = s.C * s.R * s.S;
  scratch.cols.resize(static_cast<size_t>(CRS) * PQ);
  const ConstMapRow weights(w, s.K, CRS);
  for (int n = 0; n < s.N; ++n) {
    im2col(scratch.cols.data(), x + static_cast<size_t>(n) * s.C * s.H * s.W, s);
    MapRow out(y + static_cast<size_t>(n) * s.K * PQ, s.K, PQ);
    out.noalias() = weights * ConstMapRow(scratch.cols.data(), CRS, PQ);
    out.colwise() += Eigen::Map<const Eigen::VectorXf>(b, s.K);
  }
}

void conv_backward_input_eigen(float* dx, const float* dy, const float* w, const ml::Conv2dShape& s,
                               ConvScratch& scratch) {
  const int PQ = s.P() * s.Q(), CRS = s.C * s.R * s.S;
  scratch.cols.resize(static_cast<size_t>(CRS) * PQ);
  const ConstMapRow weights(w, s.K, CRS);
  for (int n = 0; n < s.N; ++n) {
    MapRow cols(scratch.cols.data(), CRS, PQ);
    cols.noalias() = weights.transpose() * ConstMapRow(dy + static_cast<size_t>(n) * s.K * PQ, s.K, PQ);
    col2im(dx + static_cast<size_t>(n) * s.C * s.H * s.W, scratch.cols.data(), s);
  }
}

void conv_backward_weight_eigen(float* dw, float* db, const float* dy, const float* x, const ml::Conv2dShape& s,
                                ConvScratch& scratch) {
  const int PQ = s.P() * s.Q(), CRS = s.C * s.R * s.S;
  scratch.cols.resize(static_cast<size_t>(CRS) * PQ);
  MapRow grad(dw, s.K, CRS);
  Eigen::Map<Eigen::VectorXf> bias(db, s.K);
  grad.setZero();
  bias.setZero();
  for (int n = 0; n < s.N; ++n) {
    im2col(scratch.cols.data(), x + static_cast<size_t>(n) * s.C * s.H * s.W, s);
    const ConstMapRow err(dy + static_cast<size_t>(n) * s.K * PQ, s.K, PQ);
    grad.noalias() += err * ConstMapRow(scratch.cols.data(), CRS, PQ).transpose();
    bias += err.rowwise().sum();
  }
}

void conv_forward_loop(float* y, const float* x, const float* w, const float* b, const ml::Conv2dShape& s) {
  const int P = s.P(), Q = s.Q();
#pragma omp parallel for collapse(2) schedule(static)
  for (int n = 0; n < s.N; ++n)
    for (int k = 0; k < s.K; ++k) {
      float* out = y + (static_cast<size_t>(n) * s.K + k) * P * Q;
      for (int i = 0; i < P * Q; ++i) out[i] = b[k];
      for (int c = 0; c < s.C; ++c)
        for (int r = 0; r < s.R; ++r)
          for (int t = 0; t < s.S; ++t) {
            const float weight = w[((k * s.C + c) * s.R + r) * s.S + t];
            for (int p = 0; p < P; ++p) {
              const int h = p * s.stride + r - s.pad;
              if (h < 0 || h >= s.H) continue;
              const float* in = x + ((static_cast<size_t>(n) * s.C + c) * s.H + h) * s.W;
              for (int q = 0; q < Q; ++q) {
                const int v = q * s.stride + t - s.pad;
                if (v >= 0 && v < s.W) out[p * Q + q] += weight * in[v];
              }
            }
          }
    }
}

void conv_backward_input_loop(float* dx, const float* dy, const float* w, const ml::Conv2dShape& s) {
  const int P = s.P(), Q = s.Q();
#pragma omp parallel for collapse(2) schedule(static)
  for (int n = 0; n < s.N; ++n)
    for (int c = 0; c < s.C; ++c) {
      float* out = dx + (static_cast<size_t>(n) * s.C + c) * s.H * s.W;
      std::fill(out, out + s.H * s.W, 0.0f);
      for (int k = 0; k < s.K; ++k)
        for (int r = 0; r < s.R; ++r)
          for (int t = 0; t < s.S; ++t) {
            const float weight = w[((k * s.C + c) * s.R + r) * s.S + t];
            const float* err = dy + (static_cast<size_t>(n) * s.K + k) * P * Q;
            for (int p = 0; p < P; ++p) {
              const int h = p * s.stride + r - s.pad;
              if (h < 0 || h >= s.H) continue;
              for (int q = 0; q < Q; ++q) {
                const int v = q * s.stride + t - s.pad;
                if (v >= 0 && v < s.W) out[h * s.W + v] += weight * err[p * Q + q];
              }
            }
          }
    }
}

void conv_backward_weight_loop(float* dw, float* db, const float* dy, const float* x, const ml::Conv2dShape& s) {
  const int P = s.P(), Q = s.Q();
#pragma omp parallel for schedule(static)
  for (int k = 0; k < s.K; ++k) {
    double bias = 0;
    for (int n = 0; n < s.N; ++n)
      for (int i = 0; i < P * Q; ++i) bias += dy[(static_cast<size_t>(n) * s.K + k) * P * Q + i];
    db[k] = static_cast<float>(bias);
    for (int c = 0; c < s.C; ++c)
      for (int r = 0; r < s.R; ++r)
        for (int t = 0; t < s.S; ++t) {
          float acc = 0;
          for (int n = 0; n < s.N; ++n) {
            const float* err = dy + (static_cast<size_t>(n) * s.K + k) * P * Q;
            const float* in = x + (static_cast<size_t>(n) * s.C + c) * s.H * s.W;
            for (int p = 0; p < P; ++p) {
              const int h = p * s.stride + r - s.pad;
              if (h < 0 || h >= s.H) continue;
              for (int q = 0; q < Q; ++q) {
                const int v = q * s.stride + t - s.pad;
                if (v >= 0 && v < s.W) acc += err[p * Q + q] * in[h * s.W + v];
              }
            }
          }
          dw[((k * s.C + c) * s.R + r) * s.S + t] = acc;
        }
  }
}

void linear_forward_eigen(float* y, const float* x, const float* w, const float* b, const ml::LinearShape& s) {
  MapRow out(y, s.N, s.out);
  out.noalias() = ConstMapRow(x, s.N, s.in) * ConstMapRow(w, s.out, s.in).transpose();
  out.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(b, s.out);
}

void linear_backward_input_eigen(float* dx, const float* dy, const float* w, const ml::LinearShape& s) {
  MapRow(dx, s.N, s.in).noalias() = ConstMapRow(dy, s.N, s.out) * ConstMapRow(w, s.out, s.in);
}

void linear_backward_weight_eigen(float* dw, float* db, const float* dy, const float* x, const ml::LinearShape& s) {
  const ConstMapRow err(dy, s.N, s.out);
  MapRow(dw, s.out, s.in).noalias() = err.transpose() * ConstMapRow(x, s.N, s.in);
  Eigen::Map<Eigen::RowVectorXf>(db, s.out) = err.colwise().sum();
}

void maxpool_forward_loop(float* y, int32_t* argmax, const float* x, const ml::Pool2dShape& s) {
  const int P = s.P(), Q = s.Q();
#pragma omp parallel for schedule(static)
  for (int plane = 0; plane < s.N * s.C; ++plane) {
    const float* in = x + static_cast<size_t>(plane) * s.H * s.W;
    for (int p = 0; p < P; ++p)
      for (int q = 0; q < Q; ++q) {
        int best = p * s.stride * s.W + q * s.stride;
        for (int r = 0; r < s.kernel; ++r)
          for (int t = 0; t < s.kernel; ++t) {
            const int idx = (p * s.stride + r) * s.W + q * s.stride + t;
            if (in[idx] > in[best]) best = idx;
          }
        y[static_cast<size_t>(plane) * P * Q + p * Q + q] = in[best];
        argmax[static_cast<size_t>(plane) * P * Q + p * Q + q] = best;
      }
  }
}

void maxpool_backward_loop(float* dx, const float* dy, const int32_t* argmax, const ml::Pool2dShape& s) {
  const int PQ = s.P() * s.Q();
#pragma omp parallel for schedule(static)
  for (int plane = 0; plane < s.N * s.C; ++plane) {
    float* out = dx + static_cast<size_t>(plane) * s.H * s.W;
    std::fill(out, out + s.H * s.W, 0.0f);
    for (int i = 0; i < PQ; ++i)
      out[argmax[static_cast<size_t>(plane) * PQ + i]] += dy[static_cast<size_t>(plane) * PQ + i];
  }
}

void relu_forward_eigen(float* y, const float* x, size_t n) {
  const auto count = static_cast<Eigen::Index>(n);
  Eigen::Map<Eigen::ArrayXf>(y, count) = Eigen::Map<const Eigen::ArrayXf>(x, count).max(0.0f);
}

void relu_backward_eigen(float* dx, const float* dy, const float* y, size_t n) {
  const auto count = static_cast<Eigen::Index>(n);
  Eigen::Map<Eigen::ArrayXf>(dx, count) =
      (Eigen::Map<const Eigen::ArrayXf>(y, count) > 0.0f).select(Eigen::Map<const Eigen::ArrayXf>(dy, count), 0.0f);
}

void log_softmax_nll_loop(float* logp, float* loss, const float* logits, const int32_t* labels, int N, int C) {
  for (int n = 0; n < N; ++n) {
    const float* z = logits + static_cast<size_t>(n) * C;
    float m = z[0];
    for (int c = 1; c < C; ++c) m = std::max(m, z[c]);
    double sum = 0;
    for (int c = 0; c < C; ++c) sum += std::exp(static_cast<double>(z[c] - m));
    const float log_sum = m + static_cast<float>(std::log(sum));
    for (int c = 0; c < C; ++c) logp[static_cast<size_t>(n) * C + c] = z[c] - log_sum;
    loss[n] = -logp[static_cast<size_t>(n) * C + labels[n]];
  }
}

void sgd_update_eigen(float* w, float* velocity, const float* grad, size_t n, float lr, float momentum) {
  const auto count = static_cast<Eigen::Index>(n);
  Eigen::Map<Eigen::ArrayXf> v(velocity, count), weights(w, count);
  v = momentum * v + Eigen::Map<const Eigen::ArrayXf>(grad, count);
  weights -= lr * v;
}

}  // namespace ml_bench
