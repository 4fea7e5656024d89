// Checkpoints in the safetensors format (https://huggingface.co/docs/safetensors),
// so that PyTorch, numpy and the `safetensors` Python package read our weights
// directly:
//
//   8 bytes      N, the header size, little-endian u64
//   N bytes      UTF-8 JSON: {"__metadata__": {"key": "value", ...},
//                             "<name>": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...}
//                padded with spaces so that N % 8 == 0
//   the rest     the raw little-endian float32 data, tensors packed back to back
//                in the order written; offsets count from the start of this section
//
// Only F32 is written and read (the engine has no other dtype).
#pragma once
#include <map>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace ml {

struct NamedTensor {
  std::string name;  // "conv1.weight", "fc1.feedback", ...
  Tensor tensor;
};

// Writes tensors (on any device) and string metadata to path atomically
// (write_file_atomically: the previous file survives any failure). Throws
// std::invalid_argument naming path for duplicate, empty or reserved
// ("__metadata__") names and undefined tensors, before anything is written.
void save_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

struct Checkpoint {
  std::vector<NamedTensor> tensors;  // CPU tensors, in the order of their data in the file
  std::map<std::string, std::string> metadata;
  std::string path;  // where it was loaded from; prefixes load_into's errors when set

  // The tensor with this name, or nullptr.
  const Tensor* find(const std::string& name) const;
};

// Reads and fully validates a safetensors file. Every problem (missing or
// short file, bad header size, invalid JSON, a dtype other than F32, bad or
// overlapping offsets, offsets that disagree with the shape, truncated or
// trailing data) throws std::runtime_error with one line naming path.
Checkpoint load_safetensors(const std::string& path);

// The same from the file's bytes (path only names it in errors).
Checkpoint parse_safetensors(const std::string& bytes, const std::string& path);

// Throws std::runtime_error "path: tensor 'fc1.weight' holds nan at element 3 ..."
// (one line) at the first NaN or infinity in any tensor: a diverged run's or a
// damaged file's weights, which would turn everything computed from them into NaN.
void require_finite_tensors(const Checkpoint& checkpoint);

// Copies the stored tensor `name` into dst (any device) after checking that
// the shapes match exactly. Throws std::invalid_argument:
// "checkpoint has no tensor 'name'" or
// "checkpoint tensor 'name' has shape [a, b], the network expects [c, d]".
void load_into(const Checkpoint& checkpoint, const std::string& name, Tensor& dst);

}  // namespace ml
