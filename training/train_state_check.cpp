#include "training/train_state_check.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace ml {
namespace {

using json = nlohmann::json;

std::string shape_text(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

void check_manifest(const Checkpoint& ck) {
  const auto entry = ck.metadata.find("tensors");
  if (entry == ck.metadata.end()) return;  // states written before the manifest: the restore checks what it reads
  const json manifest = json::parse(entry->second);
  if (!manifest.is_object()) throw std::invalid_argument("the \"tensors\" manifest is not a JSON object");
  for (const auto& [name, shape_json] : manifest.items()) {
    const Tensor* t = ck.find(name);
    if (!t) throw std::invalid_argument("the tensor '" + name + "' is missing (the state lists it)");
    const auto shape = shape_json.get<Shape>();
    if (t->shape() != shape) {
      throw std::invalid_argument("the tensor '" + name + "' has shape " + shape_text(t->shape()) +
                                  ", the state lists " + shape_text(shape));
    }
  }
  for (const NamedTensor& t : ck.tensors) {
    if (!manifest.contains(t.name)) throw std::invalid_argument("the tensor '" + t.name + "' is not in the state's list");
  }
}

void check_position(const TrainProgress& p, const RunExtent& run) {
  const std::string at = "position epoch " + std::to_string(p.epoch) + ", batch " + std::to_string(p.batch);
  if (p.epoch < 1 || p.epoch > run.epochs + 1)
    throw std::invalid_argument(at + ": the epoch lies outside the run's " + std::to_string(run.epochs) + " epochs");
  if (p.batch < 0 || p.batch > run.batches_per_epoch) {
    throw std::invalid_argument(at + ": the batch lies outside the epoch's " + std::to_string(run.batches_per_epoch) +
                                " batches");
  }
  if (p.epoch == run.epochs + 1 && p.batch != 0) throw std::invalid_argument(at + ": past the run's last epoch");
  if (p.history.size() != static_cast<size_t>(p.epoch - 1)) {
    throw std::invalid_argument(at + ": " + std::to_string(p.history.size()) + " finished epochs recorded, " +
                                std::to_string(p.epoch - 1) + " expected");
  }
  for (size_t i = 0; i < p.history.size(); ++i) {
    if (p.history[i].epoch != static_cast<int>(i) + 1) {
      throw std::invalid_argument(at + ": the finished epochs' rows are numbered " +
                                  std::to_string(p.history[i].epoch) + " where " + std::to_string(i + 1) + " belongs");
    }
  }
  const long seen = std::min(static_cast<long>(p.batch) * run.batch, run.train_images);
  if (p.seen != seen) {
    throw std::invalid_argument(at + ": " + std::to_string(p.seen) + " images counted as trained in the epoch, " +
                                std::to_string(seen) + " expected");
  }
  if (p.correct < 0 || p.correct > p.seen)
    throw std::invalid_argument(at + ": " + std::to_string(p.correct) + " correct out of " + std::to_string(p.seen));
  if (!std::isfinite(p.loss_sum) || p.loss_sum < 0 || !std::isfinite(p.seconds) || p.seconds < 0)
    throw std::invalid_argument(at + ": the epoch's loss sum or seconds are not finite and >= 0");
}

}  // namespace

std::string tensor_manifest(const std::vector<NamedTensor>& tensors) {
  json manifest = json::object();
  for (const NamedTensor& t : tensors) manifest[t.name] = t.tensor.shape();
  return manifest.dump();
}

TrainProgress checked_train_state(const Checkpoint& ck, const std::string& name, const RunExtent& run) {
  require_finite_tensors(ck);  // names ck.path, the file it was read from
  try {
    const auto format = ck.metadata.find("format"), version = ck.metadata.find("version");
    if (format == ck.metadata.end() || format->second != "microlearning-train-state" ||
        version == ck.metadata.end() || version->second != "1")
      throw std::invalid_argument("not a version 1 microlearning training state");
    const auto progress = ck.metadata.find("progress");
    if (progress == ck.metadata.end()) throw std::invalid_argument("no \"progress\" entry");
    check_manifest(ck);
    TrainProgress p = progress_from_json(json::parse(progress->second));
    check_position(p, run);
    return p;
  } catch (const std::exception& e) {
    throw std::runtime_error(name + ": " + e.what());
  }
}

}  // namespace ml
