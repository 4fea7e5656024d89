// MNIST / Fashion-MNIST loading, normalisation, --limit and the epoch order.
#include <zlib.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "datasets/dataset.h"
#include "test_util.h"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

using ml_test::error_of;

using ml_test::TempDir;

void write_idx(const std::string& path, const std::vector<int>& dims, const std::vector<uint8_t>& data,
               bool gzip = false) {
  std::vector<uint8_t> b = {0, 0, 0x08, static_cast<uint8_t>(dims.size())};
  for (int d : dims) {
    const auto u = static_cast<uint32_t>(d);
    for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<uint8_t>(u >> shift));
  }
  b.insert(b.end(), data.begin(), data.end());
  if (gzip) {
    gzFile f = gzopen((path + ".gz").c_str(), "wb");
    REQUIRE(f != nullptr);
    REQUIRE(gzwrite(f, b.data(), static_cast<unsigned>(b.size())) == static_cast<int>(b.size()));
    REQUIRE(gzclose(f) == Z_OK);
  } else {
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    REQUIRE(f.good());
  }
}

// n images of h x w where pixel p of image i is (i + p) % 256, labels i % 10.
void write_split(const TempDir& dir, const std::string& prefix, int n, int h, int w, bool gzip) {
  std::vector<uint8_t> images(static_cast<size_t>(n) * h * w), labels(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    labels[static_cast<size_t>(i)] = static_cast<uint8_t>(i % 10);
    for (int p = 0; p < h * w; ++p) images[static_cast<size_t>(i) * h * w + p] = static_cast<uint8_t>((i + p) % 256);
  }
  write_idx(dir.file(prefix + "-images-idx3-ubyte"), {n, h, w}, images, gzip);
  write_idx(dir.file(prefix + "-labels-idx1-ubyte"), {n}, labels, gzip);
}

}  // namespace

TEST_CASE("load_dataset reads the four IDX files, plain or gzipped", "[dataset]") {
  TempDir dir("load");
  write_split(dir, "train", 30, 5, 4, false);
  write_split(dir, "t10k", 12, 5, 4, true);
  const ml::DatasetPair p = ml::load_dataset("mnist", dir.path.string());
  for (const ml::Dataset* d : {&p.train, &p.test}) {
    CHECK(d->name == "mnist");
    CHECK(d->C == 1);
    CHECK(d->H == 5);
    CHECK(d->W == 4);
    CHECK(d->num_classes == 10);
    CHECK(d->class_names.size() == 10);
    CHECK(d->images.size() == static_cast<size_t>(d->size()) * 20);
  }
  CHECK(p.train.size() == 30);
  CHECK(p.test.size() == 12);
  CHECK(p.train.labels[13] == 3);
  // pixel p of image i is (i + p) % 256, scaled to [0, 1]
  CHECK(p.train.images[7 * 20 + 2] == Approx(9.0 / 255.0));
  CHECK(p.test.images[0] == 0.0f);

  const ml::DatasetPair f = ml::load_dataset("fashion-mnist", dir.path.string() + "/");
  CHECK(f.train.name == "fashion-mnist");
  CHECK(f.train.class_names.front() == "T-shirt/top");
  CHECK(f.train.class_names.back() == "Ankle boot");
}

TEST_CASE("load_dataset scales 0 and 255 to exactly 0 and 1", "[dataset]") {
  TempDir dir("scale");
  write_idx(dir.file("train-images-idx3-ubyte"), {1, 1, 3}, {0, 255, 51});
  write_idx(dir.file("train-labels-idx1-ubyte"), {1}, {9});
  write_idx(dir.file("t10k-images-idx3-ubyte"), {1, 1, 3}, {255, 0, 0});
  write_idx(dir.file("t10k-labels-idx1-ubyte"), {1}, {0});
  const ml::DatasetPair p = ml::load_dataset("mnist", dir.path.string());
  CHECK(p.train.images == std::vector<float>{0.0f, 1.0f, 0.2f});
  CHECK(p.train.labels == std::vector<int32_t>{9});
}

TEST_CASE("load_dataset: an unknown data set name", "[dataset][errors]") {
  const std::string msg = error_of<std::invalid_argument>([] { ml::load_dataset("xyz", ""); });
  CHECK(msg == "--data 'xyz': expected fashion-mnist, mnist, cifar10 or image-folder");
}

TEST_CASE("load_dataset: missing files", "[dataset][errors]") {
  TempDir dir("missing");
  write_split(dir, "train", 10, 2, 2, false);
  const std::string msg = error_of<std::runtime_error>([&] { ml::load_dataset("mnist", dir.path.string()); });
  CHECK_THAT(msg, Contains(dir.file("t10k-images-idx3-ubyte")));
  CHECK_THAT(msg, Contains("not found"));

  if (!fs::exists("/usr/share/datasets/mnist")) {
    const std::string msg2 = error_of<std::runtime_error>([] { ml::load_dataset("mnist", ""); });
    CHECK_THAT(msg2, Contains("/usr/share/datasets/mnist/train-images-idx3-ubyte"));
    CHECK_THAT(msg2, Contains("--data-dir"));
  }
}

TEST_CASE("load_dataset: images and labels that do not fit together", "[dataset][errors]") {
  TempDir dir("bad");
  write_split(dir, "t10k", 10, 3, 3, false);

  SECTION("label count differs from the image count") {
    write_idx(dir.file("train-images-idx3-ubyte"), {6, 3, 3}, std::vector<uint8_t>(54));
    write_idx(dir.file("train-labels-idx1-ubyte"), {5}, {0, 1, 2, 3, 4});
    const std::string msg = error_of<std::runtime_error>([&] { ml::load_dataset("mnist", dir.path.string()); });
    CHECK_THAT(msg, Contains(dir.file("train-labels-idx1-ubyte") + ": 5 labels"));
    CHECK_THAT(msg, Contains(dir.file("train-images-idx3-ubyte") + " has 6 images"));
  }
  SECTION("a label out of range") {
    write_idx(dir.file("train-images-idx3-ubyte"), {5, 3, 3}, std::vector<uint8_t>(45));
    write_idx(dir.file("train-labels-idx1-ubyte"), {5}, {0, 1, 2, 12, 4}, true);
    const std::string msg = error_of<std::runtime_error>([&] { ml::load_dataset("mnist", dir.path.string()); });
    CHECK_THAT(msg, Contains(dir.file("train-labels-idx1-ubyte.gz")));
    CHECK_THAT(msg, Contains("label 12 at index 3"));
  }
  SECTION("images that are not 3-D") {
    write_idx(dir.file("train-images-idx3-ubyte"), {5, 9}, std::vector<uint8_t>(45));
    write_idx(dir.file("train-labels-idx1-ubyte"), {5}, {0, 1, 2, 3, 4});
    const std::string msg = error_of<std::runtime_error>([&] { ml::load_dataset("mnist", dir.path.string()); });
    CHECK_THAT(msg, Contains(dir.file("train-images-idx3-ubyte")));
    CHECK_THAT(msg, Contains("expected 3 dimensions"));
  }
  SECTION("labels that are not 1-D") {
    write_idx(dir.file("train-images-idx3-ubyte"), {4, 3, 3}, std::vector<uint8_t>(36));
    write_idx(dir.file("train-labels-idx1-ubyte"), {2, 2}, {0, 1, 2, 3});
    const std::string msg = error_of<std::runtime_error>([&] { ml::load_dataset("mnist", dir.path.string()); });
    CHECK_THAT(msg, Contains(dir.file("train-labels-idx1-ubyte")));
    CHECK_THAT(msg, Contains("expected 1 dimension"));
  }
  SECTION("test images of another size than the training images") {
    write_split(dir, "train", 10, 4, 4, false);
    const std::string msg = error_of<std::runtime_error>([&] { ml::load_dataset("mnist", dir.path.string()); });
    CHECK_THAT(msg, Contains(dir.file("t10k-images-idx3-ubyte") + ": images of 3 x 3 pixels"));
  }
}

TEST_CASE("channel_stats and normalize", "[dataset]") {
  ml::Dataset d;
  d.name = "tiny";
  d.C = 2;
  d.H = 1;
  d.W = 2;
  // two images; channel 0 pixels {0, 1, 2, 3}, channel 1 pixels {5, 5, 5, 9}
  d.images = {0, 1, 5, 5, 2, 3, 5, 9};
  d.labels = {0, 1};
  const ml::Normalization n = ml::channel_stats(d);
  REQUIRE(n.mean.size() == 2);
  CHECK(n.mean[0] == Approx(1.5));
  CHECK(n.stddev[0] == Approx(std::sqrt(1.25)));
  CHECK(n.mean[1] == Approx(6.0));
  CHECK(n.stddev[1] == Approx(std::sqrt(3.0)));

  ml::normalize(d, n);
  const ml::Normalization after = ml::channel_stats(d);
  for (int c = 0; c < 2; ++c) {
    CHECK(after.mean[static_cast<size_t>(c)] == Approx(0.0).margin(1e-6));
    CHECK(after.stddev[static_cast<size_t>(c)] == Approx(1.0));
  }
  CHECK(d.images[7] == Approx(3.0 / std::sqrt(3.0)));

  CHECK_THROWS_AS(ml::normalize(d, ml::Normalization{{0.0f}, {1.0f}}), std::invalid_argument);
  CHECK_THROWS_WITH(ml::normalize(d, ml::Normalization{{0.0f, 0.0f}, {1.0f, 0.0f}}), Contains("channel 1"));
}

TEST_CASE("truncate keeps the first n samples", "[dataset]") {
  ml::Dataset d;
  d.name = "fashion-mnist";
  d.C = 1;
  d.H = 1;
  d.W = 2;
  d.images = {0, 1, 2, 3, 4, 5};
  d.labels = {7, 8, 9};
  ml::truncate(d, 3);
  CHECK(d.size() == 3);
  ml::truncate(d, 2);
  CHECK(d.size() == 2);
  CHECK(d.images == std::vector<float>{0, 1, 2, 3});
  CHECK(d.labels == std::vector<int32_t>{7, 8});

  const std::string msg = error_of<std::invalid_argument>([&] { ml::truncate(d, 5); });
  CHECK_THAT(msg, Contains("--limit 5"));
  CHECK_THAT(msg, Contains("(2 samples)"));
  CHECK_THROWS_WITH(ml::truncate(d, -1), Contains("--limit -1"));
}

namespace {

bool is_permutation_of_iota(const std::vector<int32_t>& v) {
  std::vector<int32_t> s = v;
  std::sort(s.begin(), s.end());
  for (size_t i = 0; i < s.size(); ++i)
    if (s[i] != static_cast<int32_t>(i)) return false;
  return true;
}

// Pearson's chi-square statistic of observed counts against a uniform expectation.
double chi_square_uniform(const std::vector<int>& counts) {
  double total = 0;
  for (int c : counts) total += c;
  const double expected = total / static_cast<double>(counts.size());
  double chi2 = 0;
  for (int c : counts) chi2 += (c - expected) * (c - expected) / expected;
  return chi2;
}

}  // namespace

TEST_CASE("epoch_order is a reproducible permutation", "[dataset][shuffle]") {
  for (int n : {0, 1, 2, 7, 1000}) {
    const auto a = ml::epoch_order(n, 42, 3);
    CHECK(a.size() == static_cast<size_t>(n));
    CHECK(is_permutation_of_iota(a));
    CHECK(a == ml::epoch_order(n, 42, 3));
  }
  const auto base = ml::epoch_order(1000, 42, 1);
  CHECK(base != ml::epoch_order(1000, 42, 2));
  CHECK(base != ml::epoch_order(1000, 43, 1));
  std::vector<int32_t> identity(1000);
  std::iota(identity.begin(), identity.end(), 0);
  CHECK(base != identity);
  CHECK_THROWS_AS(ml::epoch_order(-1, 1, 1), std::invalid_argument);
}

TEST_CASE("epoch_order is roughly uniform", "[dataset][shuffle]") {
  // Chi-square bounds at p = 0.001, so a correct shuffle fails by chance
  // once in a thousand seeds sets; the seeds are fixed, so the test is not flaky.
  SECTION("where element 0 lands, n = 5, over 2000 seeds (4 degrees of freedom)") {
    std::vector<int> where(5);
    for (uint64_t seed = 0; seed < 2000; ++seed) {
      const auto order = ml::epoch_order(5, seed, 0);
      ++where[static_cast<size_t>(std::find(order.begin(), order.end(), 0) - order.begin())];
    }
    const double chi2 = chi_square_uniform(where);
    INFO("counts " << where[0] << " " << where[1] << " " << where[2] << " " << where[3] << " " << where[4]
                   << ", chi2 " << chi2);
    CHECK(chi2 < 18.47);
  }
  SECTION("all 6 orders of n = 3 over 3000 epochs of one seed (5 degrees of freedom)") {
    std::vector<int> count(6);
    for (int epoch = 0; epoch < 3000; ++epoch) {
      const auto o = ml::epoch_order(3, 7, epoch);
      ++count[static_cast<size_t>(o[0] * 2 + (o[1] > o[2] ? 1 : 0))];  // first element and the order of the rest
    }
    const double chi2 = chi_square_uniform(count);
    INFO("chi2 " << chi2);
    CHECK(chi2 < 20.52);
  }
}

TEST_CASE("Fashion-MNIST as installed by Debian", "[dataset][fashion-mnist]") {
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(dir + "/train-images-idx3-ubyte.gz") && !fs::exists(dir + "/train-images-idx3-ubyte")) {
    WARN(dir << " not found (Debian package dataset-fashion-mnist): not checked");
    return;
  }
  const ml::DatasetPair p = ml::load_dataset("fashion-mnist", "");
  CHECK(p.train.size() == 60000);
  CHECK(p.test.size() == 10000);
  for (const ml::Dataset* d : {&p.train, &p.test}) {
    CHECK(d->C == 1);
    CHECK(d->H == 28);
    CHECK(d->W == 28);
    CHECK(d->images.size() == static_cast<size_t>(d->size()) * 28 * 28);
  }
  std::vector<int> per_class(10);
  for (int32_t y : p.train.labels) ++per_class[static_cast<size_t>(y)];
  CHECK(per_class == std::vector<int>(10, 6000));

  // the published statistics of the training set
  const ml::Normalization n = ml::channel_stats(p.train);
  CHECK(n.mean[0] == Approx(0.2860).margin(1e-3));
  CHECK(n.stddev[0] == Approx(0.3530).margin(1e-3));
  const auto [lo, hi] = std::minmax_element(p.train.images.begin(), p.train.images.end());
  CHECK(*lo == 0.0f);
  CHECK(*hi == 1.0f);
}
