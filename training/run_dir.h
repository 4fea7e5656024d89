// A run's folder, the one place that knows its layout: what ml-train writes
// (config.json, metrics.csv, alignment.csv, estimator.csv, a rule's own tables
// such as cycles.csv, model.safetensors, train_state.safetensors), what
// ml-record writes into its acts/ folder (<layer>.npy, labels.npy,
// indices.npy, probs.npy, layers.txt, record.json; with --cycles
// <layer>.cycle<t>.npy or <layer>.step<t>.npy and cycle_files.csv), and what ml-study adds
// (train.log, record.log, done). Trainer, recorder, ml-study and ml-analyze
// ask it for a path; no other file spells a name of a run's files.
#pragma once
#include <string>
#include <vector>

#include "training/train_state.h"

namespace ml {

// The recording folder (ml-record --out; a study run's acts/).
class ActsDir {
 public:
  explicit ActsDir(std::string dir) : dir_(std::move(dir)) {}
  const std::string& dir() const { return dir_; }
  std::string layer(const std::string& name) const { return file(name + ".npy"); }  // N x features, float32
  std::string labels() const { return file("labels.npy"); }    // int64, N
  std::string indices() const { return file("indices.npy"); }  // int64, N: the images' places in their split
  std::string probs() const { return file("probs.npy"); }      // float32, N x classes (--probs)
  std::string layer_list() const { return file("layers.txt"); }  // the recorded layers, one a line, in order
  std::string record_json() const { return file("record.json"); }
  // ml-record --cycles: the name under which layer's state after time t is recorded (layer(name)
  // is its file), "<layer>.<unit><t>" with t zero-padded to the digits of `last`, so that the
  // names sort in time order (unit: "cycle" for a PCN block, "step" for pc's inference).
  static std::string at_time(const std::string& layer, const std::string& unit, int t, int last);
  std::string cycle_list() const { return file("cycle_files.csv"); }  // layer,cycle,file: every such recording

  // The name of the folder a recording sits in by convention (RUN/acts): the model is then RUN's name.
  static constexpr const char* kFolderName = "acts";

 private:
  std::string file(const std::string& name) const;
  std::string dir_;
};

class RunDir {
 public:
  explicit RunDir(std::string dir) : dir_(std::move(dir)) {}
  const std::string& dir() const { return dir_; }

  std::string config() const { return file("config.json"); }
  std::string metrics() const { return file("metrics.csv"); }
  std::string alignment() const { return file("alignment.csv"); }
  std::string estimator() const { return file("estimator.csv"); }
  std::string model() const { return file("model.safetensors"); }
  std::string train_state() const { return file("train_state.safetensors"); }
  std::string model_best() const { return file("model_best.safetensors"); }  // the epoch of the best val_acc (--val)
  std::string snapshot(const std::string& label) const { return file("snapshots/epoch-" + label + ".safetensors"); }
  std::string snapshots() const { return file("snapshots.csv"); }  // label,epoch,batch,val_loss,val_acc
  std::string val_indices() const { return file("val_indices.npy"); }  // int64, sorted: the held-out training images
  std::string table(const std::string& name) const { return file(name); }  // a rule's own CSV (bptt: cycles.csv)
  std::string train_log() const { return file("train.log"); }    // ml-study: ml-train's output
  std::string record_log() const { return file("record.log"); }  // ml-study: ml-record's output
  std::string done() const { return file("done"); }              // ml-study: the finished job's key
  ActsDir acts() const { return ActsDir(file(ActsDir::kFolderName)); }
  // ml-study: the recording of snapshot `label` (bp at matched accuracy).
  ActsDir snapshot_acts(const std::string& label) const { return ActsDir(file("snapshot_acts/epoch-" + label)); }
  // ml-study with --human: the logits and class probabilities of every test image, in order.
  ActsDir test_set_acts() const { return ActsDir(file("test_set_acts")); }

  // Creates the folder (and its parents). Throws std::runtime_error("--out 'DIR': cannot create directory: ...").
  void create() const;

  // ml-train's claim on the folder while it runs (base/folder_lock.h): the file's name in the folder.
  static constexpr const char* kLockName = ".ml-train.lock";
  // The outputs of a run already in the folder (the files above that ml-train, ml-record and ml-study
  // write, a rule's own tables: every top-level *.csv, and the acts/, snapshots/, snapshot_acts/ and
  // test_set_acts/ folders), by name; the study's train.log and record.log are not among them (the shell that runs
  // ml-train has them open), nor is any file of the user's.
  std::vector<std::string> outputs() const;
  // Removes outputs(). Throws std::runtime_error naming the file that could not be removed.
  void remove_outputs() const;

 private:
  std::string file(const std::string& name) const;
  std::string dir_;
};

// metrics.csv: one row per finished epoch.
// val_loss and val_acc come last (so that readers by position keep working) and are empty without --val.
inline constexpr const char* kMetricsHeader =
    "epoch,train_loss,train_acc,test_loss,test_acc,seconds,samples_per_s,val_loss,val_acc";
std::string metrics_csv(const std::vector<EpochMetrics>& rows);
std::string snapshots_csv(const std::vector<SnapshotRow>& rows);

}  // namespace ml
