#include "embeddings/hebbian.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "datasets/dataset.h"
#include "base/rng.h"

namespace ml {

double p_norm(const float* w, int D, double p) {
  double s = 0;
  for (int i = 0; i < D; ++i) s += std::pow(std::fabs(static_cast<double>(w[i])), p);
  return std::pow(s, 1.0 / p);
}

HebbianResult krotov_hopfield(const std::vector<float>& samples, int n, int D, int units, const HebbianOptions& o,
                              uint64_t seed) {
  if (n < 1 || D < 1 || samples.size() != static_cast<size_t>(n) * D) {
    throw std::invalid_argument("hebbian: " + std::to_string(samples.size()) + " values are not " +
                                std::to_string(n) + " samples of " + std::to_string(D));
  }
  if (units < 1) throw std::invalid_argument("hebbian: " + std::to_string(units) + " units; need >= 1");
  if (!(o.p >= 2.0f)) throw std::invalid_argument("--hebbian-p " + std::to_string(o.p) + ": must be >= 2");
  if (!(o.delta >= 0.0f)) throw std::invalid_argument("--hebbian-delta " + std::to_string(o.delta) + ": must be >= 0");
  if (o.k < 2 || o.k > std::max(units, 2)) {
    throw std::invalid_argument("--hebbian-k " + std::to_string(o.k) + ": must be in [2, " +
                                std::to_string(std::max(units, 2)) + "] (the number of units)");
  }
  if (o.epochs < 1) throw std::invalid_argument("--hebbian-epochs " + std::to_string(o.epochs) + ": must be >= 1");
  if (o.batch < 1) throw std::invalid_argument("--hebbian-batch " + std::to_string(o.batch) + ": must be >= 1");
  if (!(o.lr > 0.0f)) throw std::invalid_argument("--hebbian-lr " + std::to_string(o.lr) + ": must be > 0");
  if (!(o.init_sigma > 0.0f)) throw std::invalid_argument("hebbian: init sigma " + std::to_string(o.init_sigma) + ": must be > 0");

  using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const double p = o.p;
  Rng rng = Rng(seed).split(0x4865626e);
  Mat W(units, D);
  for (int u = 0; u < units; ++u) {
    for (int i = 0; i < D; ++i) W(u, i) = o.init_sigma * rng.normal();
  }
  const Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> X(samples.data(), n, D);

  Mat V, currents, g, dW;
  std::vector<std::pair<double, int>> order(units);
  const int batches = (n + o.batch - 1) / o.batch;
  HebbianResult result;
  result.wins.assign(units, 0);
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    const double lr = o.lr * (1.0 - static_cast<double>(epoch) / o.epochs);
    const std::vector<int32_t> perm = epoch_order(n, seed ^ 0x4865626eull, epoch + 1);
    std::fill(result.wins.begin(), result.wins.end(), 0);
    for (int b = 0; b < batches; ++b) {
      const int begin = b * o.batch, count = std::min(o.batch, n - begin);
      V.resize(count, D);
      for (int s = 0; s < count; ++s) V.row(s) = X.row(perm[begin + s]).cast<double>();
      const Mat Wp = W.unaryExpr([p](double w) { return w == 0 ? 0.0 : std::copysign(std::pow(std::fabs(w), p - 1), w); });
      currents.noalias() = Wp.lazyProduct(V.transpose());  // units x count; lazy: small, no GEMM threads
      g.setZero(units, count);
      for (int s = 0; s < count; ++s) {
        for (int u = 0; u < units; ++u) order[u] = {currents(u, s), u};
        const int top = std::min(o.k, units);
        std::partial_sort(order.begin(), order.begin() + top, order.end(),
                          [](const auto& a, const auto& c) { return a.first > c.first || (a.first == c.first && a.second < c.second); });
        g(order[0].second, s) = 1.0;
        ++result.wins[order[0].second];
        if (units >= o.k) g(order[o.k - 1].second, s) = -o.delta;
      }
      const Eigen::VectorXd xx = g.cwiseProduct(currents).rowwise().sum();  // units
      dW.noalias() = g.lazyProduct(V);
      dW -= xx.asDiagonal() * W;
      const double nc = std::max(dW.cwiseAbs().maxCoeff(), 1e-30);
      W += (lr / nc) * dW;
    }
    for (int u = 0; u < units; ++u) {
      double s = 0;
      for (int i = 0; i < D; ++i) s += std::pow(std::fabs(W(u, i)), p);
      result.norms.push_back(std::pow(s, 1.0 / p));
    }
  }
  result.weights.resize(static_cast<size_t>(units) * D);
  for (int u = 0; u < units; ++u) {
    for (int i = 0; i < D; ++i) result.weights[static_cast<size_t>(u) * D + i] = static_cast<float>(W(u, i));
  }
  return result;
}

}  // namespace ml
