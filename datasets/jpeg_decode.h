// JPEG decoding with libjpeg-turbo, the decoder behind image_decode.h's
// decode_image for JPEG files.
#pragma once
#include <string>

#include "datasets/image_decode.h"

namespace ml {

// True when the bytes start with a JPEG start-of-image marker (FF D8).
bool is_jpeg(const std::string& bytes);

struct JpegHeader {
  int w = 0, h = 0, channels = 0;  // channels: 1 grey, 3 colour, 4 CMYK (which we do not decode)
};

// The header only. Throws std::runtime_error "name: cannot read the JPEG (libjpeg: <reason>)".
JpegHeader read_jpeg_header(const std::string& bytes, const std::string& name);

// Decodes to `channels` (1 or 3) bytes per pixel. Corrupt data that libjpeg
// would fill with grey (a truncated file, a damaged segment) is refused, not
// decoded: a half-grey stimulus would pass unnoticed into a data set. Throws
// std::runtime_error naming `name`, and for more than kMaxImagePixels pixels.
DecodedImage decode_jpeg(const std::string& bytes, const std::string& name, int channels);

}  // namespace ml
