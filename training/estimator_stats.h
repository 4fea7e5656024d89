// --estimator-stats N: how good a rule's update is as an estimate of
// backprop's gradient, per weight layer, on one fixed batch. The rule's update
// (compute_gradients) is drawn N times (stochastic rules draw new noise each
// time; deterministic ones repeat themselves) and compared with bp's gradient
// g on the same batch, over the layer's weight (not its bias):
//   bias_angle_deg  the angle between the mean update m and g
//   variance_rel    mean over draws of |u_i - m|^2, divided by |g|^2 (0 for deterministic rules)
//   snr             |m|^2 / mean over draws of |u_i - m|^2 (inf for deterministic rules)
//   noise_angle_deg atan(sqrt(variance_rel / (N - 1))): about the angle an unbiased estimator's
//                   mean of N draws shows from its sampling noise alone; a bias_angle_deg near
//                   it says nothing about bias, one well above it does
// Written tidy as estimator.csv: epoch,layer,metric,value.
#pragma once
#include <string>
#include <vector>

#include "rules/learning_rule.h"

namespace ml {

class EstimatorLog {
 public:
  void add(int epoch, const std::string& layer, const std::string& metric, double value) {
    rows_.push_back({epoch, layer, metric, value});
  }
  struct Row {
    int epoch;
    std::string layer, metric;
    double value;
  };
  const std::vector<Row>& rows() const { return rows_; }
  std::string csv() const;  // non-finite values as inf / nan, which pandas reads as floats
  // Adds the rows of an earlier csv() whose epoch is before `before_epoch` (a resumed run).
  void load_csv(const std::string& text, int before_epoch);

 private:
  std::vector<Row> rows_;
};

// Appends the three metrics of every weight layer for `draws` draws. Training
// is not changed: the weights are restored and so is every random stream the
// rule declares (rng_streams); grads and the layers' caches are clobbered.
void log_estimator_stats(LearningRule& rule, Network& net, const Batch& batch, int draws, int epoch, EstimatorLog& log);

}  // namespace ml
