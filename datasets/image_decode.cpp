// PNG with stb_image, JPEG with libjpeg-turbo (jpeg_decode.cpp), behind one
// interface; the header's size is checked against kMaxImagePixels before a
// decoder allocates the pixels it promises. JPEG is not left to Debian's
// stb_image 2.27: fuzz_image found two faults in its JPEG decoder (a Huffman
// table of more than 256 codes written past its arrays, and a bit count gone
// negative that shifts a 32-bit word by 32 or more), both fixed upstream only
// after 2.27, while libjpeg-turbo is fuzzed continuously upstream.
#include "datasets/image_decode.h"

#include <cctype>
#include <climits>
#include <cstdint>
#include <memory>
#include <stdexcept>

#include "datasets/jpeg_decode.h"

// A private copy of stb_image: static functions, PNG only, so it cannot clash
// with another copy elsewhere in a program.
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_ONLY_PNG
#define STBI_FAILURE_USERMSG
#include <stb/stb_image.h>

namespace ml {
namespace {

[[noreturn]] void fail(const std::string& name, const std::string& what) {
  throw std::runtime_error(name + ": " + what);
}

std::string stb_reason() {
  const char* why = stbi_failure_reason();
  return why ? why : "unknown reason";
}

// stb_image 2.27 trusts a PNG's chunk lengths: it copies an IDAT chunk into its
// (still unallocated) data buffer even when the chunk is empty, memcpy(NULL, src, 0),
// undefined behaviour (found by fuzz_image under UBSan), and it grows that buffer to an
// IDAT's claimed length before reading it, so a 200-byte file claiming a 2 GiB chunk
// makes it allocate 2 GiB (found by fuzz_image: out of memory). Both are refused here:
// an empty IDAT before any image data (it carries nothing), and any chunk longer than
// the bytes left in the file.
void check_png_chunks(const std::string& bytes, const std::string& name) {
  static const char kSignature[] = "\x89PNG\r\n\x1a\n";
  if (bytes.compare(0, 8, kSignature, 8) != 0) return;  // not a PNG
  auto u32 = [&](size_t i) {
    uint32_t v = 0;
    for (size_t k = 0; k < 4; ++k) v = v << 8 | static_cast<uint8_t>(bytes[i + k]);
    return v;
  };
  bool image_data = false;
  for (size_t i = 8; i + 8 <= bytes.size();) {
    const uint32_t length = u32(i);
    std::string type = bytes.substr(i + 4, 4);
    if (type == "IEND") return;
    for (char& c : type)
      if (!std::isalpha(static_cast<unsigned char>(c))) c = '?';  // the message stays one printable line
    const size_t left = bytes.size() - (i + 8);
    if (length > left)
      fail(name, "corrupt PNG: a " + type + " chunk of " + std::to_string(length) + " bytes, " + std::to_string(left) +
                     " left in the file");
    if (type == "IDAT") {
      if (length == 0 && !image_data) fail(name, "corrupt PNG: an empty IDAT chunk before the image data");
      image_data = true;
    }
    i += 12 + static_cast<size_t>(length);  // length, type, data, CRC
  }
}

struct Header {
  int w = 0, h = 0, channels = 0;
};

Header read_header(const std::string& bytes, const std::string& name) {
  // stb_image takes an int length
  if (bytes.size() > static_cast<size_t>(INT_MAX)) fail(name, "larger than 2 GiB, not an image file we read");
  check_png_chunks(bytes, name);
  Header hd;
  if (!stbi_info_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()), static_cast<int>(bytes.size()), &hd.w,
                             &hd.h, &hd.channels))
    fail(name, "cannot read the image (stb_image: " + stb_reason() + ")");
  if (hd.w <= 0 || hd.h <= 0) fail(name, "holds no pixels");
  if (static_cast<int64_t>(hd.w) * hd.h > kMaxImagePixels)
    fail(name, std::to_string(hd.w) + " x " + std::to_string(hd.h) + " pixels, more than the " +
                   std::to_string(kMaxImagePixels) + " accepted (a corrupt header, or an image far too large)");
  return hd;
}

struct StbFree {
  void operator()(stbi_uc* p) const { stbi_image_free(p); }
};

}  // namespace

int image_channels(const std::string& bytes, const std::string& name) {
  if (is_jpeg(bytes)) return read_jpeg_header(bytes, name).channels;
  return read_header(bytes, name).channels;
}

DecodedImage decode_image(const std::string& bytes, const std::string& name, int channels) {
  if (channels != 1 && channels != 3)
    throw std::invalid_argument(name + ": decode_image takes 1 or 3 channels, not " + std::to_string(channels));
  if (is_jpeg(bytes)) return decode_jpeg(bytes, name, channels);
  const Header hd = read_header(bytes, name);
  int w = 0, h = 0, file_channels = 0;
  std::unique_ptr<stbi_uc, StbFree> p(stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()),
                                                             static_cast<int>(bytes.size()), &w, &h, &file_channels,
                                                             channels));
  if (!p) fail(name, "cannot decode the image (stb_image: " + stb_reason() + ")");
  if (w != hd.w || h != hd.h) fail(name, "decoded size differs from the header's");
  DecodedImage d;
  d.w = w;
  d.h = h;
  d.channels = channels;
  d.pixels.assign(p.get(), p.get() + static_cast<size_t>(w) * h * channels);
  return d;
}

}  // namespace ml
