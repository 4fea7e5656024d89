#include "engine/checkpoint.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "base/atomic_file.h"
#include "base/error_text.h"

namespace ml {

// The data section is the tensors' memory as is, which is the format's
// little-endian float32 only on a little-endian host.
static_assert(std::endian::native == std::endian::little, "safetensors I/O assumes a little-endian host");

namespace {

// ordered_json keeps the header in the order written, so that a person
// reading the header sees the tensors in network order.
using Json = nlohmann::ordered_json;

constexpr uint64_t kFloatBytes = sizeof(float);
constexpr int kMaxHeaderDepth = 16;

std::string offsets_str(uint64_t begin, uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
}

// One tensor's header entry, checked on its own; the offsets are checked
// against each other and the file afterwards.
struct Entry {
  std::string name;
  Shape shape;
  uint64_t begin = 0, end = 0;
};

Entry parse_entry(const std::string& path, const std::string& name, const Json& v) {
  auto error = [&](const std::string& what) {
    return std::runtime_error(path + ": " + printable("tensor '" + name + "' " + what));
  };
  if (!v.is_object()) throw error("has a header entry that is not a JSON object: " + v.dump());

  const auto dtype = v.find("dtype");
  if (dtype == v.end() || !dtype->is_string()) throw error("has no dtype string");
  if (*dtype != "F32") throw error("has dtype " + dtype->get<std::string>() + "; only F32 is supported");

  Entry e;
  e.name = name;
  const auto shape = v.find("shape");
  if (shape == v.end()) throw error("has no shape");
  bool shape_ok = shape->is_array();
  if (shape_ok) {
    for (const Json& d : *shape) {
      // Non-negative integer literals parse as unsigned; -1 or 2.0 do not.
      if (!d.is_number_unsigned() || d.get<uint64_t>() > static_cast<uint64_t>(INT_MAX)) {
        shape_ok = false;
        break;
      }
      e.shape.push_back(static_cast<int>(d.get<uint64_t>()));
    }
  }
  if (!shape_ok) throw error("has an invalid shape " + shape->dump() + "; expected a list of non-negative integers");

  const auto offsets = v.find("data_offsets");
  if (offsets == v.end()) throw error("has no data_offsets");
  if (!offsets->is_array() || offsets->size() != 2 || !(*offsets)[0].is_number_unsigned() ||
      !(*offsets)[1].is_number_unsigned() || (*offsets)[0].get<uint64_t>() > (*offsets)[1].get<uint64_t>()) {
    throw error("has invalid data_offsets " + offsets->dump() + "; expected [begin, end] with 0 <= begin <= end");
  }
  e.begin = (*offsets)[0].get<uint64_t>();
  e.end = (*offsets)[1].get<uint64_t>();

  // Bytes the shape needs, with an overflow check: the dimensions come from the file.
  uint64_t bytes = kFloatBytes;
  for (int d : e.shape) {
    const auto dim = static_cast<uint64_t>(d);
    if (dim != 0 && bytes > std::numeric_limits<uint64_t>::max() / dim) {
      throw error("has shape " + shape_str(e.shape) + ", too large to address");
    }
    bytes *= dim;
  }
  if (e.end - e.begin != bytes) {
    throw error("has data_offsets " + offsets_str(e.begin, e.end) + " (" + std::to_string(e.end - e.begin) +
                " bytes) but shape " + shape_str(e.shape) + " needs " + std::to_string(bytes) + " bytes");
  }
  return e;
}

std::string read_whole_file(const std::string& path) {
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);  // also says "Is a directory" for a directory
  if (ec) throw std::runtime_error(path + ": cannot read: " + ec.message());
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    throw std::runtime_error(path + ": cannot open: " + (err ? std::strerror(err) : "open failed"));
  }
  std::string bytes(size, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  if (static_cast<uintmax_t>(in.gcount()) != size) {
    throw std::runtime_error(path + ": read only " + std::to_string(in.gcount()) + " of " + std::to_string(size) +
                             " bytes");
  }
  return bytes;
}

}  // namespace

void save_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  // Everything that can be wrong with the arguments is checked before the
  // temporary file exists.
  std::set<std::string> names;
  for (const NamedTensor& t : tensors) {
    if (t.name.empty()) throw std::invalid_argument(path + ": a tensor has an empty name");
    if (t.name == "__metadata__") throw std::invalid_argument(path + ": '__metadata__' is reserved, not a tensor name");
    if (!names.insert(t.name).second)
      throw std::invalid_argument(path + ": tensor name '" + t.name + "' appears twice");
    if (!t.tensor.defined()) throw std::invalid_argument(path + ": tensor '" + t.name + "' was never allocated");
  }

  // __metadata__ first, as the safetensors Python package writes it; left out
  // when empty, as it does too.
  Json header = Json::object();
  if (!metadata.empty()) {
    Json m = Json::object();
    for (const auto& [key, value] : metadata) m[key] = value;
    header["__metadata__"] = m;
  }
  uint64_t offset = 0;
  for (const NamedTensor& t : tensors) {
    const uint64_t bytes = t.tensor.numel() * kFloatBytes;
    Json entry = Json::object();
    entry["dtype"] = "F32";
    entry["shape"] = t.tensor.shape();
    entry["data_offsets"] = Json::array({offset, offset + bytes});
    header[t.name] = entry;
    offset += bytes;
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::json::exception& e) {  // names or metadata that are not valid UTF-8
    throw std::invalid_argument(path + ": cannot encode the header: " + e.what());
  }
  text.append((8 - text.size() % 8) % 8, ' ');  // the format pads the header to 8 bytes

  write_file_atomically(path, [&](std::ostream& out) {
    unsigned char size_le[8];
    for (int i = 0; i < 8; ++i) size_le[i] = static_cast<unsigned char>(static_cast<uint64_t>(text.size()) >> (8 * i));
    out.write(reinterpret_cast<const char*>(size_le), sizeof size_le);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    for (const NamedTensor& t : tensors) {
      const std::vector<float> values = t.tensor.to_vector();  // host copy of a CUDA tensor
      out.write(reinterpret_cast<const char*>(values.data()),
                static_cast<std::streamsize>(values.size() * kFloatBytes));
    }
  });
}

const Tensor* Checkpoint::find(const std::string& name) const {
  for (const NamedTensor& t : tensors) {
    if (t.name == name) return &t.tensor;
  }
  return nullptr;
}

void require_finite_tensors(const Checkpoint& checkpoint) {
  for (const NamedTensor& t : checkpoint.tensors) {
    const float* v = t.tensor.data();
    for (size_t i = 0; i < t.tensor.numel(); ++i) {
      if (std::isfinite(v[i])) continue;
      const std::string value = std::isnan(v[i]) ? "nan" : v[i] > 0 ? "inf" : "-inf";
      throw std::runtime_error(checkpoint.path + ": " +
                               printable("tensor '" + t.name + "' holds " + value + " at element " + std::to_string(i) +
                                         " (weights that are not finite: a diverged run or a damaged file)"));
    }
  }
}

Checkpoint load_safetensors(const std::string& path) { return parse_safetensors(read_whole_file(path), path); }

Checkpoint parse_safetensors(const std::string& bytes, const std::string& path) {
  auto error = [&](const std::string& what) { return std::runtime_error(path + ": " + printable(what)); };

  if (bytes.size() < 8) {
    throw error("file is " + std::to_string(bytes.size()) +
                " bytes, too short for a safetensors file (it starts with an 8-byte header size)");
  }
  uint64_t header_size = 0;
  for (int i = 0; i < 8; ++i) header_size |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  if (header_size > bytes.size() - 8) {
    throw error("header size " + std::to_string(header_size) + " is larger than the file (" +
                std::to_string(bytes.size()) + " bytes); not a safetensors file, or truncated");
  }

  // nlohmann keeps the last of two equal keys silently, which would drop a
  // tensor; the parse callback sees every top-level key.
  std::set<std::string> keys;
  std::string duplicate;
  const Json::parser_callback_t note_keys = [&](int depth, Json::parse_event_t event, Json& parsed) {
    // Our headers nest 3 deep; dump() in the error messages recurses, so a
    // deeply nested header would otherwise overflow the stack.
    if (depth > kMaxHeaderDepth) throw error("header nests deeper than " + std::to_string(kMaxHeaderDepth) + " levels");
    if (event == Json::parse_event_t::key && depth == 1 && !keys.insert(parsed.get<std::string>()).second) {
      duplicate = parsed.get<std::string>();
    }
    return true;
  };
  Json header;
  try {
    header = Json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<std::ptrdiff_t>(header_size), note_keys);
  } catch (const nlohmann::json::exception& e) {  // parse_error, and out_of_range for a number like 1e999
    throw error(std::string("header is not valid JSON: ") + e.what());
  }
  if (!header.is_object()) throw error("header is not a JSON object");
  if (!duplicate.empty()) throw error("the header names tensor '" + duplicate + "' twice");

  Checkpoint ckpt;
  ckpt.path = path;
  std::vector<Entry> entries;
  for (const auto& [key, value] : header.items()) {
    if (key != "__metadata__") {
      entries.push_back(parse_entry(path, key, value));
      continue;
    }
    if (!value.is_object()) throw error("__metadata__ is not a JSON object");
    for (const auto& [mkey, mvalue] : value.items()) {
      if (!mvalue.is_string()) throw error("__metadata__ value for '" + mkey + "' is not a string: " + mvalue.dump());
      ckpt.metadata[mkey] = mvalue.get<std::string>();
    }
  }

  // The data section must be exactly the tensors back to back (as the
  // reference implementation requires): a gap, an overlap or extra bytes mean
  // a corrupted or foreign file, not something to guess around.
  const uint64_t data_start = 8 + header_size;
  const uint64_t data_size = bytes.size() - data_start;
  for (const Entry& e : entries) {
    if (e.end > data_size) {
      throw error("truncated: tensor '" + e.name + "' has data_offsets " + offsets_str(e.begin, e.end) +
                  " but the data section has only " + std::to_string(data_size) + " bytes");
    }
  }
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t expected_begin = 0;
  std::string previous = "the start of the data";
  for (const Entry& e : entries) {
    if (e.begin < expected_begin) {
      throw error("tensor '" + e.name + "' data_offsets " + offsets_str(e.begin, e.end) + " overlap " + previous +
                  " (which ends at " + std::to_string(expected_begin) + ")");
    }
    if (e.begin > expected_begin) {
      throw error("tensor '" + e.name + "' data_offsets " + offsets_str(e.begin, e.end) + " leave a gap after " +
                  previous + " (which ends at " + std::to_string(expected_begin) + ")");
    }
    expected_begin = e.end;
    previous = "tensor '" + e.name + "'";
  }
  if (expected_begin != data_size) {
    throw error(std::to_string(data_size - expected_begin) +
                " unexpected bytes after the last tensor's data (data section " + std::to_string(data_size) +
                " bytes, tensors end at " + std::to_string(expected_begin) + ")");
  }

  for (const Entry& e : entries) {
    Tensor t(e.shape, Device::CPU);
    if (e.end > e.begin) std::memcpy(t.data(), bytes.data() + data_start + e.begin, e.end - e.begin);
    ckpt.tensors.push_back({e.name, std::move(t)});
  }
  return ckpt;
}

void load_into(const Checkpoint& checkpoint, const std::string& name, Tensor& dst) {
  const std::string where = checkpoint.path.empty() ? "" : checkpoint.path + ": ";
  const Tensor* src = checkpoint.find(name);
  if (!src) throw std::invalid_argument(where + "checkpoint has no tensor '" + name + "'");
  if (!dst.defined())
    throw std::invalid_argument(where + "load_into '" + name + "': the destination was never allocated");
  if (src->shape() != dst.shape()) {
    throw std::invalid_argument(where + "checkpoint tensor '" + name + "' has shape " + shape_str(src->shape()) +
                                ", the network expects " + shape_str(dst.shape()));
  }
  dst.copy_from(*src);
}

}  // namespace ml
