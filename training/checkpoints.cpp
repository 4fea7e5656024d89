#include "training/checkpoints.h"

#include <cstdio>
#include <filesystem>

#include "base/stop_signal.h"
#include "engine/checkpoint.h"

namespace ml {

Checkpoints::Checkpoints(const RunDir& run, const TrainConfig& c, Network& net, LearningRule& rule, Optimizer& opt,
                         const TrainProgress& progress, ProgressLine& line)
    : run_(run), c_(c), net_(net), rule_(rule), opt_(opt), progress_(progress), line_(line),
      saved_epoch_(static_cast<int>(progress.history.size())) {
  if (c.resume) {
    saved_state_epoch_ = progress.epoch;
    saved_state_batch_ = progress.batch;
  }
}

void Checkpoints::save_state(int epoch, int b) {
  const std::string bad = first_non_finite(net_, rule_);
  if (!bad.empty()) throw diverged("weights became non-finite (" + bad + ")", epoch, b);
  save_train_state(run_.train_state(), net_, rule_, opt_, progress_);
  saved_state_epoch_ = progress_.epoch;
  saved_state_batch_ = progress_.batch;
}

void Checkpoints::write_model(const std::string& path, std::map<std::string, std::string> metadata) {
  std::vector<NamedTensor> tensors;
  for (Param* p : net_.params()) tensors.push_back({p->name, p->value});
  for (auto& t : rule_.state()) tensors.push_back(t);
  metadata.insert({{"format", "microlearning"}, {"spec", net_.spec()}, {"rule", c_.rule}, {"data", c_.data},
                   {"conv1", c_.conv1.kind + (c_.conv1.freeze ? " frozen" : "")}, {"seed", std::to_string(c_.seed)}});
  save_safetensors(path, tensors, metadata);
}

void Checkpoints::save_model(int epoch) {
  write_model(run_.model(), {{"epoch", std::to_string(epoch)}});
  saved_epoch_ = epoch;
}

void Checkpoints::save_best(int epoch) {
  write_model(run_.model_best(), {{"epoch", std::to_string(epoch)}, {"selected_by", "val_acc"}});
}

void Checkpoints::save_snapshot(const SnapshotRow& at) {
  std::filesystem::create_directories(std::filesystem::path(run_.snapshot(at.label)).parent_path());
  char val[64];
  std::snprintf(val, sizeof val, "%.9g", at.val_acc);
  write_model(run_.snapshot(at.label), {{"epoch", at.label},
                                        {"at_epoch", std::to_string(at.epoch)},
                                        {"at_batch", std::to_string(at.batch)},
                                        {"val_acc", val}});
}

std::runtime_error Checkpoints::diverged(const std::string& what, int epoch, int b) const {
  line_.end_line();
  std::string kept;
  if (saved_epoch_ > 0) {
    kept = "the last good checkpoint (epoch " + std::to_string(saved_epoch_) + ") is kept in " + run_.model();
  }
  if (saved_state_batch_ > 0) {  // a state saved within an epoch
    kept += (kept.empty() ? "" : ", ") + std::string("the last good training state (epoch ") +
            std::to_string(saved_state_epoch_) + ", batch " + std::to_string(saved_state_batch_) + ") in " +
            run_.train_state();
  }
  if (kept.empty()) kept = "no checkpoint was written";
  return std::runtime_error(what + " at epoch " + std::to_string(epoch) + ", batch " + std::to_string(b) +
                            " (try a smaller --lr); " + kept);
}

TrainingInterrupted Checkpoints::interrupted(int epoch, int b) const {
  line_.end_line();
  return TrainingInterrupted(stop_requested(), std::string(signal_name(stop_requested())) + " after epoch " +
                                                   std::to_string(epoch) + ", batch " + std::to_string(b) +
                                                   "; training state saved in " + run_.train_state());
}

}  // namespace ml
