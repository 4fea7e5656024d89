// PNG (stb_image) and JPEG (libjpeg-turbo) decoding from bytes in memory, apart from the
// folder walking of image_folder.cpp, so that the decoder can be fuzzed.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ml {

// Largest image accepted, in pixels (4096 x 4096): far above what a small
// vision net takes, and it bounds what a corrupt header can make us allocate.
constexpr int64_t kMaxImagePixels = int64_t{1} << 24;

struct DecodedImage {
  std::vector<uint8_t> pixels;  // h x w x channels, interleaved
  int h = 0, w = 0, channels = 0;
};

// The channels the file stores (1 grey, 2 grey + alpha, 3 RGB, 4 RGBA or a
// CMYK JPEG), read from the header only. Throws std::runtime_error "name:
// cannot read the image (stb_image: <reason>)" (or "the JPEG (libjpeg: ...)")
// or "name: W x H pixels, more than ...".
int image_channels(const std::string& bytes, const std::string& name);

// Decodes to `channels` (1 or 3) bytes per pixel. Throws std::runtime_error
// with one line naming `name` when the decoder cannot decode it (a JPEG with
// corrupt data included, see jpeg_decode.h), or when the header promises more
// than kMaxImagePixels.
DecodedImage decode_image(const std::string& bytes, const std::string& name, int channels);

}  // namespace ml
