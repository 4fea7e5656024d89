#include "training/estimator_stats.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>

#include "engine/tensor_ops.h"

namespace ml {

std::string EstimatorLog::csv() const {
  std::ostringstream out;
  out.precision(9);
  out << "epoch,layer,metric,value\n";
  for (const auto& r : rows_) out << r.epoch << ',' << r.layer << ',' << r.metric << ',' << r.value << '\n';
  return out.str();
}

void EstimatorLog::load_csv(const std::string& text, int before_epoch) {
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string epoch, layer, metric, value;
    if (!std::getline(f, epoch, ',') || !std::getline(f, layer, ',') || !std::getline(f, metric, ',') ||
        !std::getline(f, value)) {
      continue;
    }
    const int e = std::atoi(epoch.c_str());
    if (e < before_epoch) add(e, layer, metric, std::strtod(value.c_str(), nullptr));  // strtod reads inf, nan
  }
}

namespace {

// Welford's running mean and sum of squared deviations, per element, in
// double: identical draws give exactly zero spread.
struct Spread {
  std::vector<double> mean, m2;
  int n = 0;
  void add(const std::vector<float>& u) {
    if (mean.empty()) mean.assign(u.size(), 0.0), m2.assign(u.size(), 0.0);
    ++n;
    for (size_t i = 0; i < u.size(); ++i) {
      const double d = u[i] - mean[i];
      mean[i] += d / n;
      m2[i] += d * (u[i] - mean[i]);
    }
  }
};

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

}  // namespace

void log_estimator_stats(LearningRule& rule, Network& net, const Batch& batch, int draws, int epoch, EstimatorLog& log) {
  std::vector<Tensor> weights;
  for (Param* p : net.params()) weights.push_back(p->value.clone());
  std::vector<Rng> streams;
  for (const auto& [name, rng] : rule.rng_streams()) streams.push_back(*rng);
  const nlohmann::json scalars = rule.scalar_state();  // pc's step size, which a draw may halve
  std::vector<Tensor> state;  // sign symmetry's redrawn feedback
  for (auto& t : rule.state()) state.push_back(t.tensor.clone());

  LogSoftmaxNLL bp_loss;
  std::vector<const Tensor*> bp_deltas;
  backward_walk(net, batch, bp_loss, [](size_t, Layer&) { return nullptr; }, bp_deltas);
  std::vector<std::vector<double>> bp(net.size());
  std::vector<Spread> spread(net.size());
  for (size_t i = 0; i < net.size(); ++i) {
    if (!net.layer(i).weight()) continue;
    const std::vector<float> g = net.layer(i).weight()->grad.to_vector();
    bp[i].assign(g.begin(), g.end());
  }
  for (int d = 0; d < draws; ++d) {
    rule.compute_gradients(net, batch);
    for (size_t i = 0; i < net.size(); ++i) {
      if (net.layer(i).weight()) spread[i].add(net.layer(i).weight()->grad.to_vector());
    }
  }

  const std::vector<Param*> params = net.params();
  for (size_t q = 0; q < params.size(); ++q) params[q]->value.copy_from(weights[q]);
  size_t s = 0;
  for (const auto& [name, rng] : rule.rng_streams()) *rng = streams.at(s++);
  rule.restore_scalar_state(scalars);
  size_t k = 0;
  for (auto& t : rule.state()) t.tensor.copy_from(state.at(k++));

  for (size_t i = 0; i < net.size(); ++i) {
    if (!net.layer(i).weight()) continue;
    const Spread& u = spread[i];
    double m2 = 0;
    for (double v : u.m2) m2 += v;
    const double var = m2 / u.n, g2 = dot(bp[i], bp[i]), mean2 = dot(u.mean, u.mean);
    const double cosine = g2 > 0 && mean2 > 0 ? dot(u.mean, bp[i]) / std::sqrt(g2 * mean2) : 0.0;
    const std::string& layer = net.layer(i).name();
    log.add(epoch, layer, "bias_angle_deg", std::acos(std::max(-1.0, std::min(1.0, cosine))) * 180.0 / M_PI);
    log.add(epoch, layer, "variance_rel", g2 > 0 ? var / g2 : std::numeric_limits<double>::quiet_NaN());
    log.add(epoch, layer, "snr", var > 0 ? mean2 / var : std::numeric_limits<double>::infinity());
    // The mean of N draws of an UNBIASED estimator still misses g by ~ sqrt(var / (N - 1)): the angle
    // that this alone gives, to read bias_angle_deg against (0 for one draw or no spread).
    const double noise = u.n > 1 && g2 > 0 ? std::sqrt(var / (u.n - 1) / g2) : 0.0;
    log.add(epoch, layer, "noise_angle_deg", std::atan(noise) * 180.0 / M_PI);
  }
}

}  // namespace ml
