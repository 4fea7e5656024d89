// What a run keeps of itself while it trains, and what it says when it stops
// early: the training state (train_state.safetensors: each epoch's end, every
// --checkpoint-every batches, on SIGINT/SIGTERM), the model after each epoch
// (model.safetensors), and the one-line errors of a diverged or interrupted run,
// which name the last good state kept. Weights are checked finite whenever
// they are saved: cheap next to writing them.
#pragma once
#include <map>
#include <stdexcept>
#include <string>

#include "training/progress_line.h"
#include "training/run_dir.h"
#include "training/trainer.h"

namespace ml {

class Checkpoints {
 public:
  Checkpoints(const RunDir& run, const TrainConfig& c, Network& net, LearningRule& rule, Optimizer& opt,
              const TrainProgress& progress, ProgressLine& line);

  // Saves the training state at `progress` (after batch b of epoch); a non-finite weight throws diverged().
  void save_state(int epoch, int b);
  void save_model(int epoch);  // model.safetensors, the epoch's end
  void save_best(int epoch);   // model_best.safetensors: the epoch of the best val_acc so far
  void save_snapshot(const SnapshotRow& at);  // snapshots/epoch-<label>.safetensors

  void write_model(const std::string& path, std::map<std::string, std::string> metadata);

 public:
  std::runtime_error diverged(const std::string& what, int epoch, int b) const;
  TrainingInterrupted interrupted(int epoch, int b) const;

 private:
  const RunDir& run_;
  const TrainConfig& c_;
  Network& net_;
  LearningRule& rule_;
  Optimizer& opt_;
  const TrainProgress& progress_;
  ProgressLine& line_;
  int saved_epoch_, saved_state_epoch_ = 0, saved_state_batch_ = 0;  // where the last good state lies
};

}  // namespace ml
