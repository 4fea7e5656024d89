#include "engine/device.h"

#include <stdexcept>

#include "base/cuda_memory.h"

namespace ml {

const char* device_name(Device d) { return d == Device::CUDA ? "cuda" : "cpu"; }

bool cuda_available() {
  static const bool available = cuda_device_count() > 0;
  return available;
}

Device parse_device(const std::string& name) {
  if (name == "cpu") return Device::CPU;
  if (name == "auto") return cuda_available() ? Device::CUDA : Device::CPU;
  if (name == "cuda") {
    if (!cuda_available()) {
#ifdef ML_HAVE_CUDA
      throw std::invalid_argument("--device cuda: no usable CUDA GPU found (use --device cpu or auto)");
#else
      throw std::invalid_argument("--device cuda: this build has no CUDA support (use --device cpu or auto)");
#endif
    }
    return Device::CUDA;
  }
  throw std::invalid_argument("--device '" + name + "': expected cpu, cuda or auto");
}

}  // namespace ml
