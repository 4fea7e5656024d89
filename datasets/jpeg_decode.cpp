// libjpeg reports an error by calling error_exit, which must not return; a C
// library cannot throw through its own frames, so it longjmps back to
// run_libjpeg's setjmp. Only plain data lives in the frames it jumps over, and
// every C++ object (the pixel vector, the message) sits in the caller.
#include "datasets/jpeg_decode.h"

#include <csetjmp>
#include <cstdio>  // jpeglib.h needs FILE and size_t declared first
#include <stdexcept>

#include <jpeglib.h>

namespace ml {
namespace {

struct JpegErrors {
  jpeg_error_mgr mgr;  // first: libjpeg hands back a pointer to it
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void refuse_jpeg(j_common_ptr cinfo) {
  JpegErrors* errors = reinterpret_cast<JpegErrors*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, errors->message);
  std::longjmp(errors->jump, 1);
}

// Level -1 is a warning about corrupt data, after which libjpeg would go on
// and fill what it cannot decode with grey: refused like an error. Trace
// messages (levels 0 and up) are dropped, never printed.
void on_jpeg_message(j_common_ptr cinfo, int level) {
  if (level < 0) refuse_jpeg(cinfo);
}

// With `pixels` null, reads the header into `header`; otherwise decodes into
// `pixels`, which holds header->w * header->h * channels bytes (the caller read
// the header first). Returns false with `errors.message` set when
// libjpeg refuses the file.
bool run_libjpeg(const std::string& bytes, int channels, JpegHeader* header, unsigned char* pixels,
                 JpegErrors* errors) {
  jpeg_decompress_struct cinfo;
  cinfo.err = jpeg_std_error(&errors->mgr);
  errors->mgr.error_exit = refuse_jpeg;
  errors->mgr.emit_message = on_jpeg_message;
  errors->message[0] = '\0';
  if (setjmp(errors->jump)) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&cinfo, TRUE);
  if (!pixels) {
    header->w = static_cast<int>(cinfo.image_width);
    header->h = static_cast<int>(cinfo.image_height);
    header->channels = cinfo.num_components;
  } else {
    cinfo.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&cinfo);
    const size_t row_bytes = static_cast<size_t>(header->w) * channels;
    if (cinfo.output_width != static_cast<JDIMENSION>(header->w) ||
        cinfo.output_height != static_cast<JDIMENSION>(header->h) || cinfo.output_components != channels) {
      std::snprintf(errors->message, sizeof errors->message, "decoded size differs from the header's");
      jpeg_destroy_decompress(&cinfo);
      return false;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
      JSAMPROW row = pixels + cinfo.output_scanline * row_bytes;
      jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
  }
  jpeg_destroy_decompress(&cinfo);
  return true;
}

[[noreturn]] void fail(const std::string& name, const std::string& what) {
  throw std::runtime_error(name + ": " + what);
}

}  // namespace

bool is_jpeg(const std::string& bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0xFF &&
         static_cast<unsigned char>(bytes[1]) == 0xD8;
}

JpegHeader read_jpeg_header(const std::string& bytes, const std::string& name) {
  JpegHeader header;
  JpegErrors errors;
  if (!run_libjpeg(bytes, 0, &header, nullptr, &errors))
    fail(name, std::string("cannot read the JPEG (libjpeg: ") + errors.message + ")");
  if (header.w <= 0 || header.h <= 0) fail(name, "holds no pixels");
  if (static_cast<int64_t>(header.w) * header.h > kMaxImagePixels)
    fail(name, std::to_string(header.w) + " x " + std::to_string(header.h) + " pixels, more than the " +
                   std::to_string(kMaxImagePixels) + " accepted (a corrupt header, or an image far too large)");
  return header;
}

DecodedImage decode_jpeg(const std::string& bytes, const std::string& name, int channels) {
  if (channels != 1 && channels != 3)
    throw std::invalid_argument(name + ": decode_jpeg takes 1 or 3 channels, not " + std::to_string(channels));
  JpegHeader header = read_jpeg_header(bytes, name);
  if (header.channels != 1 && header.channels != 3)
    fail(name, "a JPEG of " + std::to_string(header.channels) + " colour components (CMYK?): only grey and colour " +
                   "JPEGs are read");
  DecodedImage d;
  d.w = header.w;
  d.h = header.h;
  d.channels = channels;
  d.pixels.assign(static_cast<size_t>(d.w) * d.h * channels, 0);
  JpegErrors errors;
  if (!run_libjpeg(bytes, channels, &header, d.pixels.data(), &errors))
    fail(name, std::string("cannot decode the JPEG (libjpeg: ") + errors.message + ")");
  return d;
}

}  // namespace ml
