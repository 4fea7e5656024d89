// CIFAR-10 in its binary version (cifar-10-binary.tar.gz, unpacked to the
// folder cifar-10-batches-bin).
//
// Files: data_batch_1.bin .. data_batch_5.bin (the 50,000 training images, in
// that order) and test_batch.bin (10,000). Each file is a run of 3073-byte
// records: 1 label byte (0..9), then 3072 pixel bytes, the 32 x 32 red plane,
// then green, then blue, each row-major: one image already in CHW order.
// Pixels are scaled to [0, 1] (byte / 255).
#pragma once
#include <string>
#include <vector>

#include "datasets/dataset.h"

namespace ml {

constexpr int kCifar10Side = 32;
constexpr int kCifar10RecordBytes = 1 + 3 * kCifar10Side * kCifar10Side;  // 3073

// The ten class names in label order: airplane .. truck.
const std::vector<std::string>& cifar10_class_names();

// The records of the given batch files, concatenated in that order into one
// Dataset named "cifar10" (C 3, H W 32). Throws std::runtime_error with one
// line naming the file: cannot open, empty, a size that is not a whole number
// of records (truncated or not CIFAR-10), or a label above 9.
Dataset read_cifar10_batches(const std::vector<std::string>& paths);

// Checks one batch file's bytes (size, labels; path names it in errors) and
// appends its records to d, which must be shaped as read_cifar10_batches makes
// it; d is untouched when the bytes are rejected.
void append_cifar10_batch(Dataset& d, const std::string& bytes, const std::string& path);

// data_dir: the cifar-10-batches-bin folder (or the folder holding it). There
// is no system-wide copy to fall back on, so an empty data_dir throws
// std::runtime_error asking for --data-dir; a missing batch file throws one
// naming it, before any file is read.
DatasetPair load_cifar10(const std::string& data_dir);

}  // namespace ml
