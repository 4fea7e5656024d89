#include "embeddings/nmf.h"

#include <cmath>
#include <stdexcept>

#include "base/rng.h"

namespace ml {

NmfObjective parse_nmf_objective(const std::string& name) {
  if (name == "frobenius") return NmfObjective::Frobenius;
  if (name == "kl") return NmfObjective::KL;
  throw std::invalid_argument("--nmf-objective '" + name + "': expected frobenius or kl");
}

std::string nmf_objective_name(NmfObjective o) { return o == NmfObjective::KL ? "kl" : "frobenius"; }

double nmf_objective(const Eigen::MatrixXd& V, const Eigen::MatrixXd& W, const Eigen::MatrixXd& H, NmfObjective o) {
  const Eigen::MatrixXd WH = W * H;
  if (o == NmfObjective::Frobenius) return 0.5 * (V - WH).squaredNorm();
  double d = 0;
  for (Eigen::Index j = 0; j < V.cols(); ++j) {
    for (Eigen::Index i = 0; i < V.rows(); ++i) {
      const double v = V(i, j), x = WH(i, j);
      d += (v > 0 ? v * std::log(v / x) : 0.0) - v + x;
    }
  }
  return d;
}

void nmf_init(const Eigen::MatrixXd& V, int rank, uint64_t seed, Eigen::MatrixXd& W, Eigen::MatrixXd& H) {
  const double scale = std::sqrt(std::max(V.mean(), 1e-12) / rank);
  Rng rng = Rng(seed).split(0x4e4d46);
  W.resize(V.rows(), rank);
  H.resize(rank, V.cols());
  // Column-major fill order, W then H: the same on every platform.
  for (Eigen::Index i = 0; i < W.size(); ++i) W.data()[i] = scale * rng.uniform();
  for (Eigen::Index i = 0; i < H.size(); ++i) H.data()[i] = scale * rng.uniform();
}

NmfResult nmf(const Eigen::MatrixXd& V, const NmfOptions& o) {
  if (o.rank < 1) throw std::invalid_argument("--rank " + std::to_string(o.rank) + ": must be >= 1");
  if (o.iterations < 0) throw std::invalid_argument("--iterations " + std::to_string(o.iterations) + ": must be >= 0");
  if (V.size() == 0) throw std::invalid_argument("nmf: the data matrix is empty");
  for (Eigen::Index j = 0; j < V.cols(); ++j) {
    for (Eigen::Index i = 0; i < V.rows(); ++i) {
      if (!(V(i, j) >= 0) || !std::isfinite(V(i, j))) {
        throw std::invalid_argument("nmf: V(" + std::to_string(i) + ", " + std::to_string(j) + ") = " +
                                    std::to_string(V(i, j)) + ": every entry must be finite and >= 0");
      }
    }
  }
  NmfResult r;
  nmf_init(V, o.rank, o.seed, r.W, r.H);
  Eigen::MatrixXd& W = r.W;
  Eigen::MatrixXd& H = r.H;
  const double eps = o.epsilon;
  r.objective.push_back(nmf_objective(V, W, H, o.objective));
  for (int it = 0; it < o.iterations; ++it) {
    if (o.objective == NmfObjective::Frobenius) {
      const Eigen::MatrixXd WtV = W.transpose() * V;
      const Eigen::MatrixXd WtWH = (W.transpose() * W) * H;
      H = H.cwiseProduct(WtV.cwiseQuotient((WtWH.array() + eps).matrix()));
      const Eigen::MatrixXd VHt = V * H.transpose();
      const Eigen::MatrixXd WHHt = W * (H * H.transpose());
      W = W.cwiseProduct(VHt.cwiseQuotient((WHHt.array() + eps).matrix()));
    } else {
      Eigen::MatrixXd ratio = V.cwiseQuotient(((W * H).array() + eps).matrix());
      const Eigen::VectorXd wsum = W.colwise().sum().transpose();  // rank
      H = H.cwiseProduct(W.transpose() * ratio);
      H.array().colwise() /= (wsum.array() + eps);
      ratio = V.cwiseQuotient(((W * H).array() + eps).matrix());
      const Eigen::RowVectorXd hsum = H.rowwise().sum().transpose();  // rank
      W = W.cwiseProduct(ratio * H.transpose());
      W.array().rowwise() /= (hsum.array() + eps);
    }
    r.objective.push_back(nmf_objective(V, W, H, o.objective));
  }
  return r;
}

void nmf_normalize(Eigen::MatrixXd& W, Eigen::MatrixXd& H) {
  for (Eigen::Index a = 0; a < W.cols(); ++a) {
    const double n = W.col(a).norm();
    if (n <= 0) continue;
    W.col(a) /= n;
    H.row(a) *= n;
  }
}

Eigen::MatrixXd samples_as_columns(const std::vector<float>& samples, int n, int D) {
  if (n < 1 || D < 1 || samples.size() != static_cast<size_t>(n) * D) {
    throw std::invalid_argument("nmf: " + std::to_string(samples.size()) + " values are not " + std::to_string(n) +
                                " samples of " + std::to_string(D));
  }
  Eigen::MatrixXd V(D, n);
  for (int j = 0; j < n; ++j) {
    for (int i = 0; i < D; ++i) V(i, j) = std::max(0.0f, samples[static_cast<size_t>(j) * D + i]);
  }
  return V;
}

}  // namespace ml
