// Image folders: tiny PNG and JPEG files written here with stb_image_write,
// the grey/colour rule, the default sizes, the round-robin order, the resize,
// and the errors for bad folders and files.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <zlib.h>

#include "datasets/dataset.h"
#include "datasets/image_decode.h"
#include "datasets/image_folder.h"
#include "test_util.h"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC  // a private copy for this test
#include <stb/stb_image_write.h>

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using ml_test::TempDir;

namespace {

using ml_test::error_of;

// An h x w image with `channels` interleaved bytes per pixel, every pixel `rgb`
// (only the first `channels` values used); PNG or JPEG by the extension.
void write_image(const fs::path& path, int h, int w, int channels, std::vector<uint8_t> rgb) {
  fs::create_directories(path.parent_path());
  std::vector<uint8_t> px(static_cast<size_t>(h) * w * channels);
  for (size_t i = 0; i < px.size(); ++i) px[i] = rgb[i % static_cast<size_t>(channels)];
  const std::string ext = path.extension().string();
  int ok = 0;
  if (ext == ".png") ok = stbi_write_png(path.c_str(), w, h, channels, px.data(), w * channels);
  else ok = stbi_write_jpg(path.c_str(), w, h, channels, px.data(), 100);
  REQUIRE(ok != 0);
}

void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream f(path, std::ios::binary);
  f << text;
  REQUIRE(f.good());
}

// Every value of image i of d (all channels).
std::vector<float> image(const ml::Dataset& d, int i) {
  const size_t n = static_cast<size_t>(d.C) * d.H * d.W;
  return {d.images.begin() + static_cast<std::ptrdiff_t>(i * n), d.images.begin() + static_cast<std::ptrdiff_t>((i + 1) * n)};
}

std::vector<float> filled(size_t n, float v) { return std::vector<float>(n, v); }

// Two classes, grey: "dog" sorts before "zebra" whatever the creation order.
// train: zebra 3 images, dog 2; test: 1 each. Sizes vary (28, 56, 7); one file
// is RGB with grey pixels, one is an upper-case .JPG, one hidden file.
void write_grey_set(const fs::path& root) {
  write_image(root / "train/zebra/a.png", 28, 28, 1, {10});
  write_image(root / "train/zebra/b.png", 56, 56, 1, {20});  // shrunk 2:1
  write_image(root / "train/zebra/c.png", 7, 7, 3, {30, 30, 30});  // RGB file, grey pixels; enlarged
  write_image(root / "train/dog/a.png", 28, 28, 1, {200});
  write_image(root / "train/dog/b.JPG", 14, 14, 1, {128});
  write_text(root / "train/dog/.DS_Store", "not an image");
  write_text(root / "train/README.txt", "plain files beside the class folders are ignored");
  write_image(root / "test/zebra/x.png", 28, 28, 2, {40, 255});  // grey + alpha
  write_image(root / "test/dog/y.png", 30, 20, 1, {250});
}

}  // namespace

TEST_CASE("image-folder reads a grey set at 28 x 28, classes sorted, samples round-robin", "[dataset][image-folder]") {
  TempDir dir("imgf-grey");
  write_grey_set(dir.path);
  const ml::DatasetPair p = ml::load_dataset("image-folder", dir.path.string());
  for (const ml::Dataset* d : {&p.train, &p.test}) {
    CHECK(d->name == "image-folder");
    CHECK(d->C == 1);
    CHECK(d->H == 28);
    CHECK(d->W == 28);
    CHECK(d->num_classes == 2);
    CHECK(d->class_names == std::vector<std::string>{"dog", "zebra"});
  }
  // dog/a, zebra/a, dog/b, zebra/b, zebra/c
  CHECK(p.train.labels == std::vector<int32_t>{0, 1, 0, 1, 1});
  const size_t n = 28 * 28;
  ml_test::require_close(image(p.train, 0), filled(n, 200 / 255.0f), 1e-6, 0, "dog/a.png");
  ml_test::require_close(image(p.train, 1), filled(n, 10 / 255.0f), 1e-6, 0, "zebra/a.png");
  ml_test::require_close(image(p.train, 2), filled(n, 128 / 255.0f), 2.5 / 255, 0, "dog/b.JPG (lossy)");
  ml_test::require_close(image(p.train, 3), filled(n, 20 / 255.0f), 1e-6, 0, "zebra/b.png");
  ml_test::require_close(image(p.train, 4), filled(n, 30 / 255.0f), 1e-6, 0, "zebra/c.png");
  CHECK(p.test.labels == std::vector<int32_t>{0, 1});
  ml_test::require_close(image(p.test, 0), filled(n, 250 / 255.0f), 1e-6, 0, "dog/y.png");
  ml_test::require_close(image(p.test, 1), filled(n, 40 / 255.0f), 1e-6, 0, "zebra/x.png (alpha ignored)");
}

TEST_CASE("image-folder keeps 3 channels at 32 x 32 when any image is colour", "[dataset][image-folder]") {
  TempDir dir("imgf-colour");
  write_grey_set(dir.path);
  write_image(dir.path / "test/zebra/z.png", 10, 10, 3, {255, 0, 51});  // the only colour image
  const ml::DatasetPair p = ml::load_image_folder(dir.path.string());
  for (const ml::Dataset* d : {&p.train, &p.test}) {
    CHECK(d->C == 3);
    CHECK(d->H == 32);
    CHECK(d->W == 32);
  }
  const size_t plane = 32 * 32;
  ml_test::require_close(image(p.train, 0), filled(3 * plane, 200 / 255.0f), 1e-6, 0, "grey dog/a.png in 3 channels");
  REQUIRE(p.test.size() == 3);  // dog/y, zebra/x, zebra/z
  CHECK(p.test.labels == std::vector<int32_t>{0, 1, 1});
  std::vector<float> want(3 * plane);
  for (size_t k = 0; k < plane; ++k) {
    want[k] = 1.0f;
    want[plane + k] = 0.0f;
    want[2 * plane + k] = 51 / 255.0f;
  }
  ml_test::require_close(image(p.test, 2), want, 1e-6, 0, "zebra/z.png as R, G, B planes");
}

// A JPEG of h x w pixels in memory (quality 100, no chroma subsampling).
std::string jpeg_bytes(int h, int w, const std::vector<uint8_t>& px) {
  std::string out;
  auto append = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<size_t>(size));
  };
  REQUIRE(stbi_write_jpg_to_func(append, &out, w, h, 3, px.data(), 100) != 0);
  return out;
}

TEST_CASE("JPEG: colour decoded as RGB and as grey, and corrupt data refused rather than filled", "[dataset][image]") {
  std::vector<uint8_t> colour(8 * 8 * 3);
  for (size_t i = 0; i < colour.size(); ++i) colour[i] = std::vector<uint8_t>{255, 0, 51}[i % 3];
  const std::string bytes = jpeg_bytes(8, 8, colour);
  CHECK(ml::image_channels(bytes, "c.jpg") == 3);
  const ml::DecodedImage rgb = ml::decode_image(bytes, "c.jpg", 3);
  REQUIRE(rgb.pixels.size() == colour.size());
  CHECK((rgb.h == 8 && rgb.w == 8 && rgb.channels == 3));
  for (size_t i = 0; i < colour.size(); ++i) CHECK(std::abs(int(rgb.pixels[i]) - int(colour[i])) <= 3);
  // grey is the luma of ITU-R BT.601: 0.299 R + 0.587 G + 0.114 B = 82.07
  const ml::DecodedImage grey = ml::decode_image(bytes, "c.jpg", 1);
  REQUIRE(grey.pixels.size() == 64u);
  for (uint8_t v : grey.pixels) CHECK(std::abs(int(v) - 82) <= 3);

  // Noise, so that most of the file is entropy-coded data; cut a quarter off
  // its end. libjpeg would decode the rest as grey with a warning.
  std::vector<uint8_t> noise(32 * 32 * 3);
  uint32_t state = 12345;
  for (uint8_t& v : noise) v = static_cast<uint8_t>((state = state * 1664525u + 1013904223u) >> 24);
  const std::string noisy = jpeg_bytes(32, 32, noise);
  CHECK(ml::decode_image(noisy, "n.jpg", 3).pixels.size() == noise.size());
  const std::string cut = noisy.substr(0, noisy.size() * 3 / 4);
  CHECK(error_of<std::runtime_error>([&] { ml::decode_image(cut, "n.jpg", 3); }) ==
        "n.jpg: cannot decode the JPEG (libjpeg: Premature end of JPEG file)");
}

TEST_CASE("image-folder takes an explicit output size", "[dataset][image-folder]") {
  TempDir dir("imgf-size");
  write_grey_set(dir.path);
  const ml::DatasetPair p = ml::load_image_folder(dir.path.string(), {8, 6});
  CHECK(p.train.H == 8);
  CHECK(p.train.W == 6);
  CHECK(p.train.images.size() == 5u * 8 * 6);
  ml_test::require_close(image(p.train, 3), filled(48, 20 / 255.0f), 1e-6, 0, "zebra/b.png at 8 x 6");
  CHECK_THROWS_AS(ml::load_image_folder(dir.path.string(), {8, 0}), std::invalid_argument);
}

TEST_CASE("resize_image averages areas when shrinking and interpolates when enlarging", "[dataset][image-folder]") {
  SECTION("2:1 shrink is the mean of each 2 x 2 block") {
    const std::vector<float> in = {1, 2, 3, 4,  //
                                   5, 6, 7, 8,  //
                                   9, 10, 11, 12,  //
                                   13, 14, 15, 16};
    ml_test::require_close(ml::resize_image(in, 1, 4, 4, 2, 2), {3.5f, 5.5f, 11.5f, 13.5f}, 1e-6, 1e-6, "4x4 -> 2x2");
  }
  SECTION("3 -> 2 weighs the middle pixel half to each side") {
    // Output 0 covers source [0, 1.5): (2a + b) / 3; output 1 covers [1.5, 3): (b + 2c) / 3.
    ml_test::require_close(ml::resize_image({3, 6, 12}, 1, 1, 3, 1, 2), {4.0f, 10.0f}, 1e-6, 1e-6, "1x3 -> 1x2");
  }
  SECTION("2 -> 4 is bilinear with aligned pixel centres and clamped edges") {
    ml_test::require_close(ml::resize_image({0, 8}, 1, 1, 2, 1, 4), {0.0f, 2.0f, 6.0f, 8.0f}, 1e-6, 1e-6, "1x2 -> 1x4");
  }
  SECTION("channels are resized each on its own; a constant stays constant") {
    std::vector<float> in(2 * 5 * 7);
    for (size_t k = 0; k < in.size(); ++k) in[k] = k < 35 ? 0.25f : 0.75f;
    std::vector<float> want(2 * 3 * 11);
    for (size_t k = 0; k < want.size(); ++k) want[k] = k < 33 ? 0.25f : 0.75f;
    ml_test::require_close(ml::resize_image(in, 2, 5, 7, 3, 11), want, 1e-6, 1e-6, "2x5x7 -> 2x3x11");
  }
  SECTION("bad sizes") {
    CHECK_THROWS_AS(ml::resize_image({1, 2}, 1, 1, 3, 2, 2), std::invalid_argument);
    CHECK_THROWS_AS(ml::resize_image({1}, 1, 1, 1, 0, 2), std::invalid_argument);
  }
}

TEST_CASE("image-folder explains bad folders and files in one line", "[dataset][image-folder]") {
  TempDir dir("imgf-bad");
  const fs::path root = dir.path;
  write_grey_set(root);
  const std::string r = root.string();
  auto load = [&] { ml::load_dataset("image-folder", r); };

  SECTION("no --data-dir") {
    const std::string msg = error_of<std::runtime_error>([] { ml::load_dataset("image-folder", ""); });
    CHECK_THAT(msg, Contains("--data-dir"));
    CHECK_THAT(msg, Contains("DIR/train/<class>/"));
  }
  SECTION("no test folder") {
    fs::remove_all(root / "test");
    CHECK_THAT(error_of<std::runtime_error>(load), Contains((root / "test").string() + ": not found"));
  }
  SECTION("a train folder without class folders") {
    fs::remove_all(root / "train");
    write_text(root / "train/notes.txt", "x");
    CHECK_THAT(error_of<std::runtime_error>(load), Contains((root / "train").string() + ": no class folders"));
  }
  SECTION("class folders that differ between train and test") {
    fs::rename(root / "test/zebra", root / "test/horse");
    write_image(root / "test/cat/q.png", 4, 4, 1, {1});
    const std::string msg = error_of<std::runtime_error>(load);
    CHECK_THAT(msg, Contains((root / "test").string() + ": class folders differ"));
    CHECK_THAT(msg, Contains("only in train: zebra; only in test: cat, horse"));
  }
  SECTION("an empty class folder") {
    fs::remove_all(root / "train/dog");
    fs::create_directories(root / "train/dog");
    CHECK_THAT(error_of<std::runtime_error>(load), Contains((root / "train/dog").string() + ": no .png, .jpg or .jpeg"));
  }
  SECTION("one class only") {
    fs::remove_all(root / "train/dog");
    fs::remove_all(root / "test/dog");
    CHECK_THAT(error_of<std::runtime_error>(load), Contains("found 1 class folder (zebra)"));
  }
  SECTION("an image stb_image cannot decode") {
    write_text(root / "train/zebra/broken.png", "this is not a PNG file");
    const std::string msg = error_of<std::runtime_error>(load);
    CHECK_THAT(msg, Contains((root / "train/zebra/broken.png").string() + ": cannot read the image (stb_image: "));
  }
  SECTION("a truncated image") {
    const fs::path p = root / "test/dog/y.png";
    fs::resize_file(p, fs::file_size(p) / 2);
    const std::string msg = error_of<std::runtime_error>(load);
    // its image data chunk now runs past the end of the file
    CHECK_THAT(msg, Contains(p.string() + ": corrupt PNG: a IDAT chunk of "));
  }
  SECTION("a file that is not a PNG or JPEG") {
    write_text(root / "train/dog/labels.csv", "a,b");
    CHECK_THAT(error_of<std::runtime_error>(load),
               Contains((root / "train/dog/labels.csv").string() + ": not a .png, .jpg or .jpeg file"));
  }
  SECTION("a folder inside a class folder") {
    write_image(root / "train/dog/more/a.png", 4, 4, 1, {1});
    CHECK_THAT(error_of<std::runtime_error>(load), Contains((root / "train/dog/more").string() + ": a folder inside"));
  }
}

TEST_CASE("image-folder refuses a header promising a huge image before decoding it", "[dataset][image-folder]") {
  TempDir dir("imgf-huge");
  write_grey_set(dir.path);
  // A PNG whose header says 8000 x 8000 grey pixels (64 MB; stb_image itself
  // refuses more than 1 GB), and no pixel data.
  auto chunk = [](const std::string& type, const std::string& data) {
    auto be32 = [](uint32_t v) { return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; };
    const std::string td = type + data;
    return be32(static_cast<uint32_t>(data.size())) + td +
           be32(static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(td.data()), static_cast<uInt>(td.size()))));
  };
  const std::string ihdr = std::string("\x00\x00\x1f\x40\x00\x00\x1f\x40\x08\x00\x00\x00\x00", 13);
  const fs::path p = dir.path / "train/zebra/huge.png";
  write_text(p, "\x89PNG\r\n\x1a\n" + chunk("IHDR", ihdr) + chunk("IEND", ""));
  const std::string msg = error_of<std::runtime_error>([&] { ml::load_dataset("image-folder", dir.path.string()); });
  CHECK_THAT(msg, Catch::StartsWith(p.string() + ": 8000 x 8000 pixels, more than the 16777216 accepted"));
}
