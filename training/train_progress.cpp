#include "training/train_progress.h"

#include <cmath>
#include <limits>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace ml {

using json = nlohmann::json;

json encode_double(double v) {
  if (std::isfinite(v)) return v;  // "%.17g" round trips every finite double exactly
  return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
}

double decode_double(const json& j) {
  if (j.is_number()) return j.get<double>();
  const std::string s = j.get<std::string>();
  if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
  if (s == "inf") return std::numeric_limits<double>::infinity();
  if (s == "-inf") return -std::numeric_limits<double>::infinity();
  throw std::invalid_argument("not a number: '" + s + "'");
}

void progress_to_json(const TrainProgress& p, json& j) {
  j["epoch"] = p.epoch;
  j["batch"] = p.batch;
  j["loss_sum"] = encode_double(p.loss_sum);
  j["seconds"] = p.seconds;
  j["correct"] = p.correct;
  j["seen"] = p.seen;
  j["history"] = json::array();
  for (const EpochMetrics& m : p.history) {
    j["history"].push_back({m.epoch, encode_double(m.train_loss), m.train_acc, encode_double(m.test_loss), m.test_acc,
                            m.seconds, m.samples_per_s, encode_double(m.val_loss), encode_double(m.val_acc)});
  }
  j["alignment"] = json::array();
  for (const AlignmentRow& r : p.alignment.rows())
    j["alignment"].push_back({r.epoch, r.batch, r.layer, r.metric, encode_double(r.value)});
  j["snapshots"] = json::array();
  for (const SnapshotRow& s : p.snapshots)
    j["snapshots"].push_back({s.label, s.epoch, s.batch, encode_double(s.val_loss), encode_double(s.val_acc)});
}

TrainProgress progress_from_json(const json& j) {
  TrainProgress p;
  p.epoch = j.at("epoch").get<int>();
  p.batch = j.at("batch").get<int>();
  p.loss_sum = decode_double(j.at("loss_sum"));
  p.seconds = j.at("seconds").get<double>();
  p.correct = j.at("correct").get<long>();
  p.seen = j.at("seen").get<long>();
  for (const json& m : j.at("history")) {
    p.history.push_back({m.at(0).get<int>(), decode_double(m.at(1)), decode_double(m.at(2)), decode_double(m.at(3)),
                         decode_double(m.at(4)), decode_double(m.at(5)), decode_double(m.at(6))});
    if (m.size() > 7) {  // states written before --val have no validation columns
      p.history.back().val_loss = decode_double(m.at(7));
      p.history.back().val_acc = decode_double(m.at(8));
    }
  }
  for (const json& r : j.at("alignment")) {
    p.alignment.add(r.at(0).get<int>(), r.at(1).get<int>(), r.at(2).get<std::string>(), r.at(3).get<std::string>(),
                    decode_double(r.at(4)));
  }
  if (j.contains("snapshots")) {  // states written before --snapshots have none
    for (const json& s : j.at("snapshots"))
      p.snapshots.push_back({s.at(0).get<std::string>(), s.at(1).get<int>(), s.at(2).get<int>(),
                             decode_double(s.at(3)), decode_double(s.at(4))});
  }
  return p;
}

}  // namespace ml
