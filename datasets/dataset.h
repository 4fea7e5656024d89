// Image classification data sets in memory: MNIST and Fashion-MNIST from IDX
// files, CIFAR-10 (datasets/cifar10.h) and a user's image folders
// (datasets/image_folder.h), per-channel normalisation, --limit, and the
// per-epoch sample order.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ml {

struct Dataset {
  std::string name;  // "fashion-mnist", "mnist", "cifar10", "image-folder"
  int C = 0, H = 0, W = 0;
  int num_classes = 0;
  std::vector<std::string> class_names;  // num_classes entries
  std::vector<float> images;             // size() x C x H x W, NCHW; [0, 1] as loaded
  std::vector<int32_t> labels;           // size() entries in [0, num_classes)
  int size() const { return static_cast<int>(labels.size()); }
};

struct DatasetPair {
  Dataset train, test;
};

// name: "fashion-mnist", "mnist", "cifar10" or "image-folder" (else
// std::invalid_argument).
// data_dir for fashion-mnist and mnist: the folder with
// train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
// t10k-labels-idx1-ubyte (each plain or with .gz); empty: Debian's location,
// /usr/share/datasets/<name>. For cifar10 and image-folder see load_cifar10
// and load_image_folder (neither has a default location).
// Throws std::runtime_error (one line naming the file) on missing or bad files.
DatasetPair load_dataset(const std::string& name, const std::string& data_dir);

struct Normalization {
  std::vector<float> mean, stddev;  // one per channel
};

// Mean and (population) standard deviation per channel over every pixel of
// every image, accumulated in double.
Normalization channel_stats(const Dataset& d);

// x = (x - mean[c]) / stddev[c]; throws when the sizes do not match d.C or a
// stddev is not positive.
void normalize(Dataset& d, const Normalization& n);

// Keeps the first n samples (--limit); n outside [0, size] throws.
void truncate(Dataset& d, int n);

// The order of the n samples in one epoch: a Fisher-Yates shuffle driven by
// splitmix64 (ml::Rng) seeded from (seed, epoch), so it is the same on every
// compiler and standard library.
std::vector<int32_t> epoch_order(int n, uint64_t seed, int epoch);

}  // namespace ml
