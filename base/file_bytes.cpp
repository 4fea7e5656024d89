#include "base/file_bytes.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace ml {

std::string read_file_bytes(const std::string& path) {
  auto fail = [&](const std::string& what) { return std::runtime_error(path + ": " + what); };
  // ifstream opens a directory without complaint; the read would then fail less clearly
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw fail("cannot open (Is a directory)");
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw fail(std::string("cannot open (") + (errno ? std::strerror(errno) : "open failed") + ")");
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) throw fail("cannot tell its size");
  in.seekg(0, std::ios::beg);
  std::string bytes(static_cast<size_t>(size), '\0');
  in.read(bytes.data(), size);
  if (in.gcount() != size)
    throw fail("read " + std::to_string(in.gcount()) + " of " + std::to_string(size) + " bytes");
  return bytes;
}

}  // namespace ml
