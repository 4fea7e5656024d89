// ml-record --cycles: a network's representation over recurrent time, one
// file per layer and time step, N x features like every other recording.
//
// - A PCN block (engine/layers/pcn_block.h): r_L after the feedforward sweep
//   (cycle 0) and after each cycle 1..K, as <block>.cycle<t>.npy (cycle K is
//   <block>.npy); with levels also r_1..r_{L-1} as <block>.r<l>.cycle<t>.npy.
// - Rule pc (rules/predictive_coding.h): each free value node after each
//   inference step t = 0..T, as <layer>.step<t>.npy, <layer> the recorded
//   layer the node stands for (its block's last layer, a flatten's source):
//   step 0 is that layer's forward activation. The inference is the rule's
//   own, run as in training: value nodes start at the forward pass and the
//   label is clamped through the top energy term (beta x cross-entropy). Its
//   settings are the run's config.json (beside the checkpoint, or one folder
//   up for a snapshot); its first step is the one training had reached at its
//   last saved state (train_state.safetensors), else --inference-lr. Every
//   probe batch starts from that step and halves it as training would, so an
//   image's recording does not depend on the batches before it.
//
// t is zero-padded so that the names sort (ActsDir::at_time). cycle_files.csv
// lists layer,cycle,file (cycle: the PCN's cycle or pc's inference step), and
// record.json's "cycles" says what was recorded. Recording reads the weights
// and writes only into the acts folder: the run's files, its rule state and
// its random streams are untouched.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "datasets/dataset.h"
#include "engine/checkpoint.h"
#include "engine/device.h"
#include "engine/network.h"
#include "training/run_dir.h"

namespace ml {

// The probe images in recording order (normalised), fed batch by batch.
struct ProbeImages {
  const Dataset& split;
  const std::vector<int32_t>& indices;
  int batch;
  Device device;
};

class CycleRecording {
 public:
  // What net (with the checkpoint's weights) has that is recurrent. Throws
  // std::invalid_argument "--cycles: ..." when it has neither a PCN block nor
  // the rule pc, or when pc's run settings cannot be read. Writes nothing.
  CycleRecording(Network& net, const Checkpoint& ck, const std::string& checkpoint_path, bool levels);

  // Runs the probe and writes every file; returns record.json's "cycles" entry.
  nlohmann::json write(Network& net, const ProbeImages& probe, const ActsDir& acts);
  // cycle_files.csv's text once write() has run: layer,cycle,file, one row per file in time order.
  const std::string& index_csv() const { return csv_; }

 private:
  struct File {
    std::string layer;  // the name in cycle_files.csv: "pcn1", "pcn1.r1", "relu1"
    int t, last;        // the time step, and the run's last (K or T)
    int64_t features;
    size_t source;  // the PCN block's layer index, or pc's value node
    int level;      // the PCN level 1..L (pc: unused)
    bool pc;
  };
  void run_pcn(Network& net, const ProbeImages& probe, const std::vector<const File*>& files,
               const std::vector<std::string>& paths);
  void run_pc(Network& net, const ProbeImages& probe, const std::vector<const File*>& files,
              const std::vector<std::string>& paths);

  std::vector<File> files_;
  std::string csv_;
  nlohmann::json summary_ = nlohmann::json::array();
  // pc: the run's settings and the step the inference starts from
  int pc_steps_ = 0;
  float pc_lr_ = 0, pc_beta_ = 0;
  nlohmann::json pc_start_;  // the rule's scalar state at the start of every probe batch
  int pc_halvings_ = 0;      // summed over the probe batches of the first pass
};

}  // namespace ml
