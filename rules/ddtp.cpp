// Direct difference target propagation, DDTP-linear (Meulemans et al. 2020,
// "A theoretical framework for target propagation"): see target_prop.h.
// Forward update of hidden block b: the local loss ||h_b - t_b||^2 / (2 eta_hat N)
// with t_b = h_b - eta_hat N e Q_b gives the error e Q_b at h_b, which reaches
// the weight layer through the block's own ReLU mask and pooling.
// Feedback: the difference reconstruction loss with noise eps ~ N(0, sigma^2) at h_b,
//   L_b = ||(f_{L,b}(h_b + eps) - f_{L,b}(h_b)) Q_b - eps||^2 / (2 N sigma^2),
// (f_{L,b}: blocks b+1 .. L). For small sigma its minimiser is Q_b = J_b^+ (J_b =
// d h_L / d h_b), i.e. Gauss-Newton targets. Their regulariser lambda ||Q_b||^2
// is --feedback-weight-decay. Dividing by sigma^2 makes --feedback-lr
// independent of the noise level.
#include <cmath>
#include <limits>

#include "engine/tensor_ops.h"
#include "kernels/linear/linear.h"
#include "rules/registry.h"
#include "rules/target_prop.h"

namespace ml {
namespace {

// Per-sample size of the output of layer `last`.
int per_sample_size(Network& net, size_t last) {
  Shape s = net.input_shape();
  for (size_t i = 0; i <= last; ++i) s = net.layer(i).output_shape(s);
  return static_cast<int>(shape_numel(s));
}

// Solves A x = r in place (A: n x n row-major, symmetric positive semi-definite
// plus a ridge) by Gaussian elimination with partial pivoting; r becomes x.
void solve_in_place(std::vector<double>& A, std::vector<double>& r, int n) {
  for (int c = 0; c < n; ++c) {
    int p = c;
    for (int i = c + 1; i < n; ++i) {
      if (std::fabs(A[i * n + c]) > std::fabs(A[p * n + c])) p = i;
    }
    for (int j = 0; j < n; ++j) std::swap(A[c * n + j], A[p * n + j]);
    std::swap(r[c], r[p]);
    for (int i = c + 1; i < n; ++i) {
      const double f = A[i * n + c] / A[c * n + c];
      for (int j = c; j < n; ++j) A[i * n + j] -= f * A[c * n + j];
      r[i] -= f * r[c];
    }
  }
  for (int c = n; c-- > 0;) {
    for (int j = c + 1; j < n; ++j) r[c] -= A[c * n + j] * r[j];
    r[c] /= A[c * n + c];
  }
}

void project(float* d, const float* e, const float* q, const LinearShape& s, Device device) {
  ML_ON_DEVICE(device, linear_backward_input, d, e, q, s);
}

}  // namespace

Shape DirectDTP::feedback_shape(Network& net, size_t b) {
  if (b + 1 == blocks_.size()) return {};  // the output block gets the output error itself
  return {static_cast<int>(classes_), per_sample_size(net, blocks_[b].last)};
}

void DirectDTP::direct_error(size_t b, const Tensor& e, Tensor& d) {
  const Tensor& q = feedback_[b].value;
  const LinearShape s{e.dim(0), q.dim(1), q.dim(0)};  // d[N, size] = e[N, classes] Q[classes, size]
  project(d.data(), e.data(), q.data(), s, e.device());
}

LossResult DirectDTP::compute_gradients(Network& net, const Batch& batch) {
  deltas_.assign(net.size(), nullptr);
  direct_.resize(blocks_.size());
  LossResult result = loss_.forward(net.forward(batch.x), batch.labels, batch.host_labels);
  if (!result.finite) return result;
  const Tensor& e = loss_.backward(batch.labels);
  for (size_t b = 0; b < blocks_.size(); ++b) {
    Layer& layer = net.layer(blocks_[b].first);
    if (b + 1 == blocks_.size()) {
      deltas_[blocks_[b].first] = &e;
      layer.weight_grads(e);
      continue;
    }
    const Tensor& h = net.layer(blocks_[b].last).output();
    ensure(direct_[b], h.shape(), h.device());
    direct_error(b, e, direct_[b]);
    const Tensor& u = to_weight_output(net, b, direct_[b]);
    deltas_[blocks_[b].first] = &u;
    layer.weight_grads(u);
  }
  return result;
}

std::vector<std::vector<float>> DirectDTP::targets(Network& net, const Batch& batch) {
  std::vector<std::vector<float>> t(blocks_.size());
  loss_.forward(net.forward(batch.x), batch.labels, batch.host_labels);
  const Tensor& e = loss_.backward(batch.labels);
  const float step = -o_.tp_eta_hat * static_cast<float>(e.dim(0));  // t - h = -eta_hat * dl_n/dh per sample
  direct_.resize(blocks_.size());
  for (size_t b = 0; b < blocks_.size(); ++b) {
    const Tensor& h = net.layer(blocks_[b].last).output();
    Tensor& d = direct_[b];
    ensure(d, h.shape(), h.device());
    if (b + 1 == blocks_.size()) d.copy_from(e);
    else direct_error(b, e, d);
    axpby(d, h, 1.0f, step);  // t_b = h_b + step * d
    t[b] = d.to_vector();
  }
  return t;
}

std::vector<double> DirectDTP::feedback_gradients(Network& net, bool want_loss,
                                                    const std::vector<bool>& train) {
  std::vector<double> losses(blocks_.size(), std::numeric_limits<double>::quiet_NaN());
  const size_t top = blocks_.size() - 1;
  const double s2 = static_cast<double>(o_.tp_noise) * o_.tp_noise;
  for (size_t b = 0; b < top; ++b) {
    if (!train[b]) continue;
    const Tensor& x = saved_in_[b + 1];  // h_b
    const int N = x.dim(0);
    const float c = static_cast<float>(1.0 / (N * s2));
    const Tensor& base = forward_blocks(net, b + 1, top, x);
    ensure(base_out_, base.shape(), base.device());
    base_out_.copy_from(base);
    ensure(noisy_in_, x.shape(), x.device());
    add_noise(noisy_in_, &x);  // h_b + eps
    const Tensor& out = forward_blocks(net, b + 1, top, noisy_in_);
    ensure(delta_out_, out.shape(), out.device());
    delta_out_.copy_from(out);
    axpby(delta_out_, base_out_, -1.0f, 1.0f);  // f(h_b + eps) - f(h_b)
    ensure(residual_, x.shape(), x.device());
    const Tensor& q = feedback_[b].value;
    const LinearShape s{N, q.dim(1), q.dim(0)};
    project(residual_.data(), delta_out_.data(), q.data(), s, x.device());
    axpby(residual_, noisy_in_, -1.0f, 1.0f);
    axpby(residual_, x, 1.0f, 1.0f);  // (f(h_b + eps) - f(h_b)) Q_b - eps
    if (want_loss) {
      const double r = norm(residual_.to_vector());
      losses[b] = 0.5 * c * r * r;
    }
    axpby(residual_, residual_, c, 0.0f);  // dL/d(delta Q) = residual / (N sigma^2)
    // dQ[classes, size] = delta_out^T residual: the linear weight gradient with delta_out as the error
    Tensor& grad = feedback_[b].grad;
    ML_ON_DEVICE(x.device(), linear_backward_weight, grad.data(), nullptr, delta_out_.data(), residual_.data(), s);
  }
  return losses;
}

double DirectDTP::gauss_newton_angle(Network& net, const Batch& batch, size_t b) {
  loss_.forward(net.forward(batch.x), batch.labels, batch.host_labels);
  const Tensor& e = loss_.backward(batch.labels);
  const int N = e.dim(0), C = static_cast<int>(classes_);
  const std::vector<float> eh = e.to_vector();
  // J_b row k for every sample: the one-hot error k sent back by backprop from h_L to h_b.
  std::vector<std::vector<float>> rows(C);
  for (int k = 0; k < C; ++k) {
    std::vector<float> onehot(static_cast<size_t>(N) * C, 0.0f);
    for (int n = 0; n < N; ++n) onehot[static_cast<size_t>(n) * C + k] = 1.0f;
    const Tensor unit = Tensor::from_vector({N, C}, onehot, e.device());
    const Tensor* d = &unit;
    for (size_t i = net.size(); i-- > blocks_[b + 1].first;) d = &net.layer(i).backward_input(*d, nullptr);
    rows[k] = d->to_vector();
  }
  const size_t dim = rows[0].size() / static_cast<size_t>(N);
  const std::vector<float> q = feedback_[b].value.to_vector();
  std::vector<float> gn(static_cast<size_t>(N) * dim), dd(gn.size());
  std::vector<double> A(static_cast<size_t>(C) * C), r(C);
  for (int n = 0; n < N; ++n) {
    const size_t off = static_cast<size_t>(n) * dim;
    // -J^+ e = -J^T (J J^T)^{-1} e; a tiny ridge keeps a rank-deficient J (dead ReLUs) solvable.
    double trace = 0;
    for (int k = 0; k < C; ++k) {
      for (int l = 0; l < C; ++l) {
        double s = 0;
        for (size_t j = 0; j < dim; ++j) s += double(rows[k][off + j]) * rows[l][off + j];
        A[k * C + l] = s;
      }
      trace += A[k * C + k];
      r[k] = eh[static_cast<size_t>(n) * C + k];
    }
    for (int k = 0; k < C; ++k) A[k * C + k] += 1e-9 * std::max(trace, 1e-30);
    std::vector<double> en(r);
    solve_in_place(A, r, C);
    for (size_t j = 0; j < dim; ++j) {
      double g = 0, d = 0;
      for (int k = 0; k < C; ++k) {
        g -= rows[k][off + j] * r[k];
        d -= en[k] * q[static_cast<size_t>(k) * dim + j];
      }
      gn[off + j] = static_cast<float>(g);
      dd[off + j] = static_cast<float>(d);
    }
  }
  return angle_degrees(dd, gn);
}

void DirectDTP::extra_alignment(Network& net, const Batch& batch, AlignmentLog& log, int epoch, int batch_index) {
  for (size_t b = 0; b + 1 < blocks_.size(); ++b) {
    // "where cheap": C backward passes and a C x C solve per sample; skipped for large conv maps
    if (feedback_[b].value.dim(1) > 10000) continue;
    log.add(epoch, batch_index, net.layer(blocks_[b].first).name(), "gn_target_angle_deg",
            gauss_newton_angle(net, batch, b));
  }
}

// As dtp (docs/RESULTS.md).
ML_REGISTER_RULE(ddtp, {.name = "ddtp",
                        .order = 90,
                        .training_defaults = {{"lr", "0.001"}, {"clip-grad-norm", "5"}},
                        .flags = target_prop_flags(),
                        .quick_flags = "--feedback-pretrain-epochs 0",
                        .study_cost = 1.5,
                        .make = [](const FlagValues& f) -> std::unique_ptr<LearningRule> {
                          return std::make_unique<DirectDTP>(target_prop_options(f));
                        }})

}  // namespace ml
