#include "datasets/dataset.h"

#include <cmath>
#include <filesystem>
#include <numeric>
#include <stdexcept>

#include "datasets/cifar10.h"
#include "datasets/idx.h"
#include "datasets/image_folder.h"
#include "base/rng.h"

namespace ml {
namespace {

namespace fs = std::filesystem;

const char* const kDebianDatasets = "/usr/share/datasets";

std::vector<std::string> class_names_for(const std::string& name) {
  if (name == "fashion-mnist")
    return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
  return {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
}

std::string dims_text(const std::vector<int>& dims) {
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? " x " : "") + std::to_string(dims[i]);
  return s;
}

// dir/base, else dir/base.gz (plain first: it reads faster when someone has
// unpacked the files). `hint` says what to do when neither exists.
std::string find_idx(const std::string& dir, const std::string& base, const std::string& hint) {
  const fs::path plain = fs::path(dir) / base;
  const fs::path gz = fs::path(dir) / (base + ".gz");
  std::error_code ec;
  if (fs::exists(plain, ec)) return plain.string();
  if (fs::exists(gz, ec)) return gz.string();
  throw std::runtime_error(plain.string() + "[.gz]: not found (" + hint + ")");
}

void check_labels(const IdxArray& labels, const std::string& path, int num_classes) {
  for (size_t i = 0; i < labels.data.size(); ++i) {
    if (labels.data[i] >= num_classes)
      throw std::runtime_error(path + ": label " + std::to_string(labels.data[i]) + " at index " + std::to_string(i) +
                               " is out of range (expected 0 to " + std::to_string(num_classes - 1) + ")");
  }
}

// One split (train or test) from its two files, checked against each other.
Dataset load_split(const std::string& name, const std::string& images_path, const std::string& labels_path) {
  const IdxArray images = read_idx(images_path);
  if (images.dims.size() != 3)
    throw std::runtime_error(images_path + ": expected 3 dimensions (images x height x width), got " +
                             dims_text(images.dims));
  if (images.dims[0] == 0 || images.dims[1] == 0 || images.dims[2] == 0)
    throw std::runtime_error(images_path + ": holds no pixels (dimensions " + dims_text(images.dims) + ")");
  const IdxArray labels = read_idx(labels_path);
  if (labels.dims.size() != 1)
    throw std::runtime_error(labels_path + ": expected 1 dimension (labels), got " + dims_text(labels.dims));
  if (labels.dims[0] != images.dims[0])
    throw std::runtime_error(labels_path + ": " + std::to_string(labels.dims[0]) + " labels, but " + images_path +
                             " has " + std::to_string(images.dims[0]) + " images");

  Dataset d;
  d.name = name;
  d.C = 1;
  d.H = images.dims[1];
  d.W = images.dims[2];
  d.class_names = class_names_for(name);
  d.num_classes = static_cast<int>(d.class_names.size());
  check_labels(labels, labels_path, d.num_classes);
  d.labels.assign(labels.data.begin(), labels.data.end());
  d.images.resize(images.data.size());
  for (size_t i = 0; i < images.data.size(); ++i) d.images[i] = static_cast<float>(images.data[i]) / 255.0f;
  return d;
}

std::string default_dir(const std::string& name) { return std::string(kDebianDatasets) + "/" + name; }

std::string missing_hint(const std::string& name, const std::string& data_dir) {
  if (!data_dir.empty()) return "--data-dir '" + data_dir + "'";
  if (name == "fashion-mnist") return "install Debian's dataset-fashion-mnist, or pass --data-dir DIR";
  return "mnist has no installed copy here: pass --data-dir DIR with the four IDX files";
}

}  // namespace

DatasetPair load_dataset(const std::string& name, const std::string& data_dir) {
  if (name == "cifar10") return load_cifar10(data_dir);
  if (name == "image-folder") return load_image_folder(data_dir);
  if (name != "fashion-mnist" && name != "mnist")
    throw std::invalid_argument("--data '" + name + "': expected fashion-mnist, mnist, cifar10 or image-folder");
  const std::string dir = data_dir.empty() ? default_dir(name) : data_dir;
  const std::string hint = missing_hint(name, data_dir);
  // Find all four before reading any, so a missing file is reported at once.
  const std::string train_images = find_idx(dir, "train-images-idx3-ubyte", hint);
  const std::string train_labels = find_idx(dir, "train-labels-idx1-ubyte", hint);
  const std::string test_images = find_idx(dir, "t10k-images-idx3-ubyte", hint);
  const std::string test_labels = find_idx(dir, "t10k-labels-idx1-ubyte", hint);

  DatasetPair p{load_split(name, train_images, train_labels), load_split(name, test_images, test_labels)};
  if (p.test.H != p.train.H || p.test.W != p.train.W)
    throw std::runtime_error(test_images + ": images of " + std::to_string(p.test.H) + " x " +
                             std::to_string(p.test.W) + " pixels, but " + train_images + " has " +
                             std::to_string(p.train.H) + " x " + std::to_string(p.train.W));
  return p;
}

Normalization channel_stats(const Dataset& d) {
  if (d.size() == 0) throw std::invalid_argument("channel_stats: data set '" + d.name + "' is empty");
  const size_t plane = static_cast<size_t>(d.H) * d.W;
  const double count = static_cast<double>(d.size()) * static_cast<double>(plane);
  Normalization n;
  for (int c = 0; c < d.C; ++c) {
    // Two passes (mean, then squared deviations): one-pass sum of squares
    // loses digits over 47 million pixels even in double.
    double sum = 0;
    for (int i = 0; i < d.size(); ++i) {
      const float* p = d.images.data() + (static_cast<size_t>(i) * d.C + c) * plane;
      for (size_t k = 0; k < plane; ++k) sum += p[k];
    }
    const double mean = sum / count;
    double sq = 0;
    for (int i = 0; i < d.size(); ++i) {
      const float* p = d.images.data() + (static_cast<size_t>(i) * d.C + c) * plane;
      for (size_t k = 0; k < plane; ++k) sq += (p[k] - mean) * (p[k] - mean);
    }
    n.mean.push_back(static_cast<float>(mean));
    n.stddev.push_back(static_cast<float>(std::sqrt(sq / count)));
  }
  return n;
}

void normalize(Dataset& d, const Normalization& n) {
  if (n.mean.size() != static_cast<size_t>(d.C) || n.stddev.size() != static_cast<size_t>(d.C))
    throw std::invalid_argument("normalize: " + std::to_string(n.mean.size()) + " means and " +
                                std::to_string(n.stddev.size()) + " standard deviations for " + std::to_string(d.C) +
                                " channels");
  for (int c = 0; c < d.C; ++c) {
    // A constant channel would divide by zero and fill the data with inf/NaN.
    if (!(n.stddev[c] > 0) || !std::isfinite(n.stddev[c]) || !std::isfinite(n.mean[c]))
      throw std::invalid_argument("normalize: channel " + std::to_string(c) + " has mean " +
                                  std::to_string(n.mean[c]) + " and standard deviation " +
                                  std::to_string(n.stddev[c]) + "; need a finite mean and a positive deviation");
  }
  const size_t plane = static_cast<size_t>(d.H) * d.W;
  for (int i = 0; i < d.size(); ++i) {
    for (int c = 0; c < d.C; ++c) {
      float* p = d.images.data() + (static_cast<size_t>(i) * d.C + c) * plane;
      for (size_t k = 0; k < plane; ++k) p[k] = (p[k] - n.mean[c]) / n.stddev[c];
    }
  }
}

void truncate(Dataset& d, int n) {
  if (n < 0) throw std::invalid_argument("--limit " + std::to_string(n) + ": must be >= 0");
  if (n > d.size())
    throw std::invalid_argument("--limit " + std::to_string(n) + ": larger than the " + d.name + " training set (" +
                                std::to_string(d.size()) + " samples)");
  d.images.resize(static_cast<size_t>(n) * d.C * d.H * d.W);
  d.labels.resize(static_cast<size_t>(n));
  d.images.shrink_to_fit();  // the rest is never used again; give the memory back
  d.labels.shrink_to_fit();
}

namespace {

// Uniform integer in [0, bound) by Lemire's multiply-shift with rejection:
// no modulo bias, and only integer arithmetic, so every platform agrees.
uint32_t bounded(Rng& rng, uint32_t bound) {
  uint64_t m = (rng.next_u64() >> 32) * bound;
  if (static_cast<uint32_t>(m) < bound) {
    const uint32_t threshold = (0u - bound) % bound;  // 2^32 mod bound
    while (static_cast<uint32_t>(m) < threshold) m = (rng.next_u64() >> 32) * bound;
  }
  return static_cast<uint32_t>(m >> 32);
}

}  // namespace

std::vector<int32_t> epoch_order(int n, uint64_t seed, int epoch) {
  if (n < 0) throw std::invalid_argument("epoch_order: n is " + std::to_string(n) + ", must be >= 0");
  std::vector<int32_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  // One stream per (seed, epoch): Rng::split hashes the epoch in. Adding the
  // epoch to the splitmix64 state instead could make one epoch's numbers a
  // shifted copy of another's.
  Rng rng = Rng(seed).split(static_cast<uint64_t>(static_cast<int64_t>(epoch)));
  for (int i = n - 1; i > 0; --i) {
    const auto j = static_cast<int>(bounded(rng, static_cast<uint32_t>(i) + 1));
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  return order;
}

}  // namespace ml
