// Reading a whole input file into memory, so that each reader of outside data
// can parse bytes (and be fuzzed on bytes) apart from opening the file.
#pragma once
#include <string>

namespace ml {

// The file's bytes. Throws std::runtime_error with one line naming path:
// "path: cannot open (No such file or directory)", "(Is a directory)", or a
// short read.
std::string read_file_bytes(const std::string& path);

}  // namespace ml
