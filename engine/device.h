// Where a tensor's buffer lives. Moving between devices is always explicit.
#pragma once
#include <string>

namespace ml {

enum class Device { CPU, CUDA };

const char* device_name(Device d);

// True when this build has CUDA and a GPU is present and usable.
bool cuda_available();

// Parses "cpu", "cuda" or "auto" (auto = cuda when available). Throws
// std::invalid_argument naming the value when it is unknown, or when "cuda"
// is asked for and no GPU can be used.
Device parse_device(const std::string& name);

}  // namespace ml
