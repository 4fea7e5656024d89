#include "training/snapshots.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "base/flags.h"

namespace ml {

std::vector<SnapshotRow> snapshot_points(const std::vector<double>& epochs, int total_epochs, int batches) {
  std::vector<SnapshotRow> points;
  for (size_t i = 0; i < epochs.size(); ++i) {
    const double e = epochs[i];
    char label[32];
    std::snprintf(label, sizeof label, "%g", e);
    if (!(e > 0)) throw std::invalid_argument(std::string("--snapshots ") + label + ": epochs must be > 0");
    if (e > total_epochs) {
      throw std::invalid_argument(std::string("--snapshots ") + label + ": beyond the run's " +
                                  std::to_string(total_epochs) + " epochs");
    }
    if (i > 0 && !(e > epochs[i - 1])) throw std::invalid_argument(std::string("--snapshots ") + label +
                                                                   ": the epochs must be given in ascending order");
    SnapshotRow p;
    p.label = label;
    p.epoch = static_cast<int>(std::ceil(e));
    p.batch = std::max(1, static_cast<int>(std::lround((e - (p.epoch - 1)) * batches)));
    p.batch = std::min(p.batch, batches);
    // A short epoch can put two points on one batch: the model there is saved once, under the first label.
    if (!points.empty() && points.back().epoch == p.epoch && points.back().batch == p.batch) continue;
    points.push_back(p);
  }
  return points;
}

std::vector<double> parse_snapshot_epochs(const std::string& text) {
  std::vector<double> epochs;
  for (const std::string& item : split_list(text)) {
    char* end = nullptr;
    const double e = std::strtod(item.c_str(), &end);
    if (item.empty() || *end != '\0' || !std::isfinite(e))
      throw std::invalid_argument("--snapshots '" + item + "': not a number (epochs, e.g. 0.25,0.5,1,2)");
    epochs.push_back(e);
  }
  return epochs;
}

}  // namespace ml
