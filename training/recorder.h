// The activation recorder: a trained network run over a fixed probe set, each
// chosen layer's activations written as <out>/<layer>.npy (float32,
// N x features, features flattened C*H*W), so that ml-analyze, numpy and
// rsatoolbox read the same files. The probe set depends only on the data set,
// the split, its size and the seed, never on the model: every model recorded
// with the same flags sees the same images in the same order.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ml {

struct RecordConfig {
  std::string checkpoint;     // model.safetensors written by ml-train
  std::string data;           // empty: the data set named in the checkpoint
  std::string data_dir;       // empty: Debian's location
  std::string split = "test"; // test or train
  int probe = 1000;           // images, class-balanced (0: the whole split in order)
  std::string layers = "all"; // "all", "stages" (the input of every weight layer, and the logits), "logits" or a list
  uint64_t seed = 1;          // chooses the probe images
  bool probs = false;         // also write probs.npy, the softmax class probabilities
  bool cycles = false;        // also the recurrent states per cycle or inference step (training/recorder_cycles.h)
  bool cycle_levels = false;  // with cycles: every PCN level, not only the block's output
  std::string device = "auto";
  int batch = 500;
  std::string out = "acts";
};

// A class-balanced probe: n / classes images per class (the first n % classes
// classes get one more), drawn without replacement by a seeded shuffle of each
// class's indices, returned grouped by class (class 0 first), ascending index
// within a class. Throws std::invalid_argument when a class has too few images.
std::vector<int32_t> choose_probe(const std::vector<int32_t>& labels, int num_classes, int n, uint64_t seed);

// Writes <out>/<layer>.npy per chosen layer, labels.npy and indices.npy (int64),
// layers.txt (the recorded layers in network order, one per line), probs.npy
// when asked, with cycles the files of training/recorder_cycles.h and cycle_files.csv,
// and record.json (what was recorded, from which checkpoint).
// Throws std::exception with one line naming the flag or file at fault; files
// of a failed recording are not left half-written.
void record(const RecordConfig& config);

}  // namespace ml
