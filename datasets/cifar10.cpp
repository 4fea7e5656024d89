// CIFAR-10 binary batches: each file is read whole and checked (size, labels)
// before its pixels are converted, so a bad file leaves nothing half-loaded.
#include "datasets/cifar10.h"

#include <cstdint>
#include <filesystem>
#include <stdexcept>

#include "base/file_bytes.h"

namespace ml {
namespace {

namespace fs = std::filesystem;

constexpr size_t kPlane = static_cast<size_t>(kCifar10Side) * kCifar10Side;
constexpr size_t kRecord = static_cast<size_t>(kCifar10RecordBytes);

const char* const kTrainFiles[] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
                                   "data_batch_5.bin"};
const char* const kTestFile = "test_batch.bin";
const char* const kDownload = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

// The folder that holds the batches: data_dir itself, or its
// cifar-10-batches-bin sub-folder when only that has them (the folder the
// archive was unpacked in).
fs::path batches_dir(const std::string& data_dir) {
  std::error_code ec;
  const fs::path dir(data_dir);
  const fs::path sub = dir / "cifar-10-batches-bin";
  if (!fs::exists(dir / kTrainFiles[0], ec) && fs::exists(sub / kTrainFiles[0], ec)) return sub;
  return dir;
}

}  // namespace

const std::vector<std::string>& cifar10_class_names() {
  static const std::vector<std::string> names = {"airplane", "automobile", "bird",  "cat",  "deer",
                                                 "dog",      "frog",       "horse", "ship", "truck"};
  return names;
}

void append_cifar10_batch(Dataset& d, const std::string& bytes, const std::string& path) {
  if (bytes.empty()) fail(path, "empty file (expected 3073-byte CIFAR-10 records)");
  if (bytes.size() % kRecord != 0)
    fail(path, std::to_string(bytes.size()) + " bytes is not a whole number of 3073-byte records (1 label + 3072 "
               "pixels): truncated, or not a CIFAR-10 binary batch");
  const size_t n = bytes.size() / kRecord;
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  for (size_t i = 0; i < n; ++i) {
    const uint8_t label = data[i * kRecord];
    if (label >= cifar10_class_names().size())
      fail(path, "label " + std::to_string(label) + " in record " + std::to_string(i) +
                     " is out of range (expected 0 to 9): corrupt, or not a CIFAR-10 binary batch");
  }
  const size_t first = d.labels.size();
  d.labels.resize(first + n);
  d.images.resize((first + n) * 3 * kPlane);
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* record = data + i * kRecord;
    d.labels[first + i] = record[0];
    float* image = d.images.data() + (first + i) * 3 * kPlane;
    for (size_t k = 0; k < 3 * kPlane; ++k) image[k] = static_cast<float>(record[1 + k]) / 255.0f;
  }
}

Dataset read_cifar10_batches(const std::vector<std::string>& paths) {
  Dataset d;
  d.name = "cifar10";
  d.C = 3;
  d.H = d.W = kCifar10Side;
  d.class_names = cifar10_class_names();
  d.num_classes = static_cast<int>(d.class_names.size());
  // Reserve for all files at once: growing a 600 MB vector file by file would
  // copy it four times (sizes that are off are caught below, file by file).
  size_t records = 0;
  for (const std::string& path : paths) {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (!ec) records += static_cast<size_t>(size) / kRecord;
  }
  d.labels.reserve(records);
  d.images.reserve(records * 3 * kPlane);
  for (const std::string& path : paths) append_cifar10_batch(d, read_file_bytes(path), path);
  return d;
}

DatasetPair load_cifar10(const std::string& data_dir) {
  if (data_dir.empty())
    throw std::runtime_error(std::string("cifar10 has no installed copy: pass --data-dir DIR, DIR being the "
                                         "cifar-10-batches-bin folder unpacked from ") +
                             kDownload);
  const fs::path dir = batches_dir(data_dir);
  std::vector<std::string> train_paths;
  for (const char* name : kTrainFiles) train_paths.push_back((dir / name).string());
  const std::string test_path = (dir / kTestFile).string();
  // Look for all six before reading any, so a missing one is reported at once.
  std::error_code ec;
  for (const std::string& p : train_paths)
    if (!fs::exists(p, ec)) fail(p, "not found (--data-dir '" + data_dir + "' should be the cifar-10-batches-bin folder)");
  if (!fs::exists(test_path, ec))
    fail(test_path, "not found (--data-dir '" + data_dir + "' should be the cifar-10-batches-bin folder)");
  return {read_cifar10_batches(train_paths), read_cifar10_batches({test_path})};
}

}  // namespace ml
