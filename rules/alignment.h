// The tidy alignment log: one row per measurement (epoch, batch, layer,
// metric, value), written as alignment.csv next to metrics.csv.
#pragma once
#include <string>
#include <vector>

namespace ml {

struct AlignmentRow {
  int epoch, batch;
  std::string layer, metric;
  double value;
};

class AlignmentLog {
 public:
  void add(int epoch, int batch, const std::string& layer, const std::string& metric, double value) {
    rows_.push_back({epoch, batch, layer, metric, value});
  }
  const std::vector<AlignmentRow>& rows() const { return rows_; }
  std::string csv() const;

 private:
  std::vector<AlignmentRow> rows_;
};

}  // namespace ml
