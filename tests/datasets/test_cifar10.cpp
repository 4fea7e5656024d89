// CIFAR-10 binary batches: a small synthetic copy in the real format
// (1 label byte + R, G, B planes of 32 x 32 per record), and the errors for
// missing, truncated and corrupt files.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "datasets/cifar10.h"
#include "datasets/dataset.h"
#include "test_util.h"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using ml_test::TempDir;

namespace {

using ml_test::error_of;

constexpr int kPlane = 32 * 32;

// Record r of the whole set (counted across files): label (r * 3) % 10, pixel
// byte k (0..3071, R plane first) = (r * 7 + k) % 256.
uint8_t pixel_byte(int r, int k) { return static_cast<uint8_t>((r * 7 + k) % 256); }
int label_of(int r) { return (r * 3) % 10; }

void write_batch(const std::string& path, int first_record, int n) {
  std::vector<uint8_t> bytes;
  for (int r = first_record; r < first_record + n; ++r) {
    bytes.push_back(static_cast<uint8_t>(label_of(r)));
    for (int k = 0; k < 3 * kPlane; ++k) bytes.push_back(pixel_byte(r, k));
  }
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(f.good());
}

// data_batch_1..5 with 2, 3, 1, 2, 2 records (10 in all), test_batch with 3.
void write_cifar(const fs::path& dir) {
  fs::create_directories(dir);
  const int counts[5] = {2, 3, 1, 2, 2};
  int first = 0;
  for (int b = 0; b < 5; ++b) {
    write_batch((dir / ("data_batch_" + std::to_string(b + 1) + ".bin")).string(), first, counts[b]);
    first += counts[b];
  }
  write_batch((dir / "test_batch.bin").string(), 100, 3);
}

void check_records(const ml::Dataset& d, int first_record, int n) {
  REQUIRE(d.size() == n);
  REQUIRE(d.images.size() == static_cast<size_t>(n) * 3 * kPlane);
  for (int i = 0; i < n; ++i) {
    const int r = first_record + i;
    CHECK(d.labels[static_cast<size_t>(i)] == label_of(r));
    // Spot checks of each plane: (channel, y, x) is byte c * 1024 + y * 32 + x.
    for (int c = 0; c < 3; ++c)
      for (const auto& [y, x] : {std::pair{0, 0}, std::pair{5, 17}, std::pair{31, 31}}) {
        const int k = c * kPlane + y * 32 + x;
        CHECK(d.images[static_cast<size_t>(i) * 3 * kPlane + static_cast<size_t>(k)] ==
              static_cast<float>(pixel_byte(r, k)) / 255.0f);
      }
  }
}

}  // namespace

TEST_CASE("cifar10 reads the five training batches in order and the test batch", "[dataset][cifar10]") {
  TempDir dir("cifar-load");
  write_cifar(dir.path);
  const ml::DatasetPair p = ml::load_dataset("cifar10", dir.path.string());
  for (const ml::Dataset* d : {&p.train, &p.test}) {
    CHECK(d->name == "cifar10");
    CHECK(d->C == 3);
    CHECK(d->H == 32);
    CHECK(d->W == 32);
    CHECK(d->num_classes == 10);
    REQUIRE(d->class_names.size() == 10);
    CHECK(d->class_names.front() == "airplane");
    CHECK(d->class_names[3] == "cat");
    CHECK(d->class_names.back() == "truck");
  }
  check_records(p.train, 0, 10);
  check_records(p.test, 100, 3);
}

TEST_CASE("cifar10 also finds the batches in a cifar-10-batches-bin sub-folder", "[dataset][cifar10]") {
  TempDir dir("cifar-sub");
  write_cifar(dir.path / "cifar-10-batches-bin");
  const ml::DatasetPair p = ml::load_cifar10(dir.path.string());
  check_records(p.train, 0, 10);
  check_records(p.test, 100, 3);
}

TEST_CASE("cifar10 without --data-dir says to pass the cifar-10-batches-bin folder", "[dataset][cifar10]") {
  const std::string msg = error_of<std::runtime_error>([] { ml::load_dataset("cifar10", ""); });
  CHECK_THAT(msg, Contains("--data-dir"));
  CHECK_THAT(msg, Contains("cifar-10-batches-bin"));
}

TEST_CASE("cifar10 names the missing, truncated or corrupt batch file", "[dataset][cifar10]") {
  TempDir dir("cifar-bad");
  write_cifar(dir.path);
  const std::string root = dir.path.string();

  SECTION("a missing batch") {
    fs::remove(dir.file("data_batch_4.bin"));
    const std::string msg = error_of<std::runtime_error>([&] { ml::load_dataset("cifar10", root); });
    CHECK_THAT(msg, Contains(dir.file("data_batch_4.bin") + ": not found"));
  }
  SECTION("a missing test batch") {
    fs::remove(dir.file("test_batch.bin"));
    const std::string msg = error_of<std::runtime_error>([&] { ml::load_dataset("cifar10", root); });
    CHECK_THAT(msg, Contains(dir.file("test_batch.bin") + ": not found"));
  }
  SECTION("a truncated batch") {
    fs::resize_file(dir.file("data_batch_2.bin"), 2 * ml::kCifar10RecordBytes + 100);
    const std::string msg = error_of<std::runtime_error>([&] { ml::load_dataset("cifar10", root); });
    CHECK_THAT(msg, Contains(dir.file("data_batch_2.bin") + ": 6246 bytes"));
    CHECK_THAT(msg, Contains("not a whole number of 3073-byte records"));
  }
  SECTION("an empty batch") {
    fs::resize_file(dir.file("test_batch.bin"), 0);
    const std::string msg = error_of<std::runtime_error>([&] { ml::load_dataset("cifar10", root); });
    CHECK_THAT(msg, Contains(dir.file("test_batch.bin") + ": empty file"));
  }
  SECTION("a label above 9") {
    std::fstream f(dir.file("data_batch_5.bin"), std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(ml::kCifar10RecordBytes);  // the label byte of record 1
    f.put(static_cast<char>(10));
    f.close();
    const std::string msg = error_of<std::runtime_error>([&] { ml::load_dataset("cifar10", root); });
    CHECK_THAT(msg, Contains(dir.file("data_batch_5.bin") + ": label 10 in record 1 is out of range"));
  }
  SECTION("a folder where a batch should be") {
    fs::remove(dir.file("data_batch_1.bin"));
    fs::create_directory(dir.file("data_batch_1.bin"));
    const std::string msg = error_of<std::runtime_error>([&] { ml::load_dataset("cifar10", root); });
    CHECK_THAT(msg, Contains(dir.file("data_batch_1.bin") + ": cannot open"));
  }
}

TEST_CASE("cifar10: a file of another format is named, not read", "[dataset][cifar10]") {
  // CIFAR-10 batches carry no magic number: another format shows in the size
  // or in the label bytes. An .npy file (magic 0x93 'NUMPY') of one record's size:
  TempDir dir("cifar-foreign");
  const std::string path = dir.file("data_batch_1.bin");
  std::ofstream(path, std::ios::binary) << "\x93NUMPY" + std::string(ml::kCifar10RecordBytes - 6, ' ');
  CHECK_THAT(error_of<std::runtime_error>([&] { ml::read_cifar10_batches({path}); }),
             Catch::StartsWith(path + ": label 147 in record 0 is out of range"));
  // and one byte more
  std::ofstream(path, std::ios::binary | std::ios::app) << 'x';
  CHECK_THAT(error_of<std::runtime_error>([&] { ml::read_cifar10_batches({path}); }),
             Catch::StartsWith(path + ": 3074 bytes is not a whole number of 3073-byte records"));
}
