// Image folders through stb_image: list and check the folders first (classes,
// files, names), then decide grey or colour, then decode, resize and store
// each image. Every problem is found before the slow decoding where it can be.
#include "datasets/image_folder.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <iterator>
#include <set>
#include <stdexcept>

#include "datasets/image_decode.h"
#include "base/file_bytes.h"

namespace ml {
namespace {

namespace fs = std::filesystem;

constexpr int kGreySide = 28;    // MNIST
constexpr int kColourSide = 32;  // CIFAR-10

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

const char* const kLayout = "image-folder expects DIR/train/<class>/*.png|jpg and DIR/test/<class>/*.png|jpg";

bool hidden(const fs::path& p) { return p.filename().string().starts_with('.'); }

bool is_image_name(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

std::string join_names(const std::vector<std::string>& names) {
  constexpr size_t kShown = 5;
  std::string s;
  for (size_t i = 0; i < names.size() && i < kShown; ++i) s += (i ? ", " : "") + names[i];
  if (names.size() > kShown) s += " and " + std::to_string(names.size() - kShown) + " more";
  return s;
}

// The sorted class folder names of one split (hidden ones and plain files skipped).
std::vector<std::string> class_folders(const fs::path& split) {
  std::error_code ec;
  if (!fs::is_directory(split, ec)) fail(split.string(), std::string("not found (") + kLayout + ")");
  std::vector<std::string> names;
  for (const fs::directory_entry& e : fs::directory_iterator(split)) {
    if (hidden(e.path()) || !e.is_directory()) continue;
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  if (names.empty()) fail(split.string(), std::string("no class folders (") + kLayout + ")");
  return names;
}

// The sorted image paths of one class folder.
std::vector<std::string> image_files(const fs::path& folder) {
  std::vector<std::string> files;
  for (const fs::directory_entry& e : fs::directory_iterator(folder)) {
    if (hidden(e.path())) continue;
    if (e.is_directory())
      fail(e.path().string(), "a folder inside a class folder (image-folder reads one level: DIR/<split>/<class>/<image>)");
    if (!is_image_name(e.path())) fail(e.path().string(), "not a .png, .jpg or .jpeg file");
    files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) fail(folder.string(), "no .png, .jpg or .jpeg images");
  return files;
}

struct Sample {
  std::string path;
  int label;
};

// One split's samples, round-robin over the classes.
std::vector<Sample> list_split(const fs::path& split, const std::vector<std::string>& classes) {
  std::vector<std::vector<std::string>> per_class;
  size_t longest = 0;
  for (const std::string& c : classes) {
    per_class.push_back(image_files(split / c));
    longest = std::max(longest, per_class.back().size());
  }
  std::vector<Sample> samples;
  for (size_t k = 0; k < longest; ++k)
    for (size_t c = 0; c < classes.size(); ++c)
      if (k < per_class[c].size()) samples.push_back({per_class[c][k], static_cast<int>(c)});
  return samples;
}

// Whether the file has a pixel whose red, green and blue differ. Files that
// store 1 or 2 channels (grey, grey + alpha) are grey without decoding.
bool is_colour(const std::string& path) {
  const std::string bytes = read_file_bytes(path);
  if (image_channels(bytes, path) < 3) return false;
  const DecodedImage d = decode_image(bytes, path, 3);
  const uint8_t* p = d.pixels.data();
  const size_t n = static_cast<size_t>(d.h) * d.w;
  for (size_t i = 0; i < n; ++i)
    if (p[3 * i] != p[3 * i + 1] || p[3 * i + 1] != p[3 * i + 2]) return true;
  return false;
}

Dataset load_split(const std::vector<Sample>& samples, const std::vector<std::string>& classes, int channels,
                   int height, int width) {
  Dataset d;
  d.name = "image-folder";
  d.C = channels;
  d.H = height;
  d.W = width;
  d.class_names = classes;
  d.num_classes = static_cast<int>(classes.size());
  const size_t image_size = static_cast<size_t>(channels) * height * width;
  d.images.resize(samples.size() * image_size);
  d.labels.resize(samples.size());
  for (size_t s = 0; s < samples.size(); ++s) {
    const DecodedImage img = decode_image(read_file_bytes(samples[s].path), samples[s].path, channels);
    const size_t plane = static_cast<size_t>(img.h) * img.w;
    std::vector<float> planar(static_cast<size_t>(channels) * plane);
    for (int c = 0; c < channels; ++c)
      for (size_t k = 0; k < plane; ++k)
        planar[c * plane + k] = static_cast<float>(img.pixels[k * channels + c]) / 255.0f;
    const std::vector<float> resized = resize_image(planar, channels, img.h, img.w, height, width);
    std::copy(resized.begin(), resized.end(), d.images.begin() + static_cast<std::ptrdiff_t>(s * image_size));
    d.labels[s] = samples[s].label;
  }
  return d;
}

// Per output index along one axis: the source indices and their weights.
struct Taps {
  std::vector<int> first;                // the first source index of each output
  std::vector<std::vector<float>> weights;
};

Taps axis_taps(int in, int out) {
  Taps t;
  t.first.resize(static_cast<size_t>(out));
  t.weights.resize(static_cast<size_t>(out));
  const double scale = static_cast<double>(in) / out;
  for (int o = 0; o < out; ++o) {
    std::vector<float>& w = t.weights[static_cast<size_t>(o)];
    if (in == out) {
      t.first[static_cast<size_t>(o)] = o;
      w = {1.0f};
    } else if (in > out) {
      // Output o covers source [lo, hi); each source pixel weighs by how much
      // of it lies inside, divided by the width of the interval.
      const double lo = o * scale, hi = (o + 1) * scale;
      const int i0 = static_cast<int>(std::floor(lo));
      const int i1 = std::min(in, static_cast<int>(std::ceil(hi)));
      t.first[static_cast<size_t>(o)] = i0;
      for (int i = i0; i < i1; ++i) {
        const double overlap = std::min<double>(i + 1, hi) - std::max<double>(i, lo);
        w.push_back(static_cast<float>(std::max(0.0, overlap) / scale));
      }
    } else {
      // Pixel centres aligned: output centre o + 0.5 sits at source x + 0.5.
      const double x = std::clamp((o + 0.5) * scale - 0.5, 0.0, static_cast<double>(in - 1));
      const int i0 = std::min(static_cast<int>(std::floor(x)), in - 1);
      const double f = x - i0;
      t.first[static_cast<size_t>(o)] = i0;
      if (i0 + 1 < in) w = {static_cast<float>(1.0 - f), static_cast<float>(f)};
      else w = {1.0f};
    }
  }
  return t;
}

}  // namespace

std::vector<float> resize_image(const std::vector<float>& in, int channels, int in_h, int in_w, int out_h,
                                int out_w) {
  if (channels <= 0 || in_h <= 0 || in_w <= 0 || out_h <= 0 || out_w <= 0)
    throw std::invalid_argument("resize_image: sizes must be positive (C " + std::to_string(channels) + ", " +
                                std::to_string(in_h) + " x " + std::to_string(in_w) + " -> " + std::to_string(out_h) +
                                " x " + std::to_string(out_w) + ")");
  if (in.size() != static_cast<size_t>(channels) * in_h * in_w)
    throw std::invalid_argument("resize_image: " + std::to_string(in.size()) + " values for C " +
                                std::to_string(channels) + " x " + std::to_string(in_h) + " x " + std::to_string(in_w));
  const Taps rows = axis_taps(in_h, out_h), cols = axis_taps(in_w, out_w);
  // Along the width first (C x in_h x out_w), then along the height.
  std::vector<float> mid(static_cast<size_t>(channels) * in_h * out_w);
  for (int c = 0; c < channels; ++c)
    for (int y = 0; y < in_h; ++y) {
      const float* src = in.data() + (static_cast<size_t>(c) * in_h + y) * in_w;
      float* dst = mid.data() + (static_cast<size_t>(c) * in_h + y) * out_w;
      for (int x = 0; x < out_w; ++x) {
        const std::vector<float>& w = cols.weights[static_cast<size_t>(x)];
        const int first = cols.first[static_cast<size_t>(x)];
        float sum = 0;
        for (size_t k = 0; k < w.size(); ++k) sum += w[k] * src[first + static_cast<int>(k)];
        dst[x] = sum;
      }
    }
  std::vector<float> out(static_cast<size_t>(channels) * out_h * out_w);
  for (int c = 0; c < channels; ++c)
    for (int y = 0; y < out_h; ++y) {
      const std::vector<float>& w = rows.weights[static_cast<size_t>(y)];
      const int first = rows.first[static_cast<size_t>(y)];
      float* dst = out.data() + (static_cast<size_t>(c) * out_h + y) * out_w;
      for (int x = 0; x < out_w; ++x) {
        float sum = 0;
        for (size_t k = 0; k < w.size(); ++k)
          sum += w[k] * mid[(static_cast<size_t>(c) * in_h + first + static_cast<int>(k)) * out_w + x];
        dst[x] = sum;
      }
    }
  return out;
}

DatasetPair load_image_folder(const std::string& data_dir, const ImageFolderOptions& options) {
  if (data_dir.empty())
    throw std::runtime_error(std::string("image-folder needs --data-dir DIR (") + kLayout + ")");
  if ((options.height != 0 || options.width != 0) && (options.height <= 0 || options.width <= 0))
    throw std::invalid_argument("image-folder: output size " + std::to_string(options.height) + " x " +
                                std::to_string(options.width) + " must be positive (or 0 x 0 for the default)");
  std::error_code ec;
  if (!fs::is_directory(data_dir, ec)) fail(data_dir, std::string("not found (") + kLayout + ")");
  const fs::path train_dir = fs::path(data_dir) / "train", test_dir = fs::path(data_dir) / "test";

  const std::vector<std::string> classes = class_folders(train_dir);
  const std::vector<std::string> test_classes = class_folders(test_dir);
  if (classes != test_classes) {
    std::vector<std::string> only_train, only_test;
    std::set_difference(classes.begin(), classes.end(), test_classes.begin(), test_classes.end(),
                        std::back_inserter(only_train));
    std::set_difference(test_classes.begin(), test_classes.end(), classes.begin(), classes.end(),
                        std::back_inserter(only_test));
    std::string what = "class folders differ from " + train_dir.string() + "'s (";
    if (!only_train.empty()) what += "only in train: " + join_names(only_train);
    if (!only_train.empty() && !only_test.empty()) what += "; ";
    if (!only_test.empty()) what += "only in test: " + join_names(only_test);
    fail(test_dir.string(), what + ")");
  }
  if (classes.size() < 2)
    fail(train_dir.string(), "found 1 class folder (" + classes[0] + "); a classifier needs at least 2");

  const std::vector<Sample> train = list_split(train_dir, classes);
  const std::vector<Sample> test = list_split(test_dir, classes);

  bool colour = false;
  for (const std::vector<Sample>* split : {&train, &test})
    for (const Sample& s : *split)
      if (!colour && is_colour(s.path)) colour = true;
  const int channels = colour ? 3 : 1;
  const int side = colour ? kColourSide : kGreySide;
  const int height = options.height > 0 ? options.height : side;
  const int width = options.width > 0 ? options.width : side;
  return {load_split(train, classes, channels, height, width), load_split(test, classes, channels, height, width)};
}

}  // namespace ml
