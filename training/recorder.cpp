#include "training/recorder.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "training/recorder_cycles.h"
#include "training/run_dir.h"
#include "datasets/dataset.h"
#include "datasets/npy.h"
#include "base/atomic_file.h"
#include "engine/checkpoint.h"
#include "base/cpu_flags.h"
#include "engine/device.h"
#include "engine/network.h"
#include "base/rng.h"

namespace ml {

std::vector<int32_t> choose_probe(const std::vector<int32_t>& labels, int num_classes, int n, uint64_t seed) {
  if (num_classes < 1) throw std::invalid_argument("choose_probe: no classes");
  if (n < 1) throw std::invalid_argument("--probe " + std::to_string(n) + ": must be >= 1");
  std::vector<std::vector<int32_t>> by_class(num_classes);
  for (size_t i = 0; i < labels.size(); ++i) by_class.at(labels[i]).push_back(static_cast<int32_t>(i));
  std::vector<int32_t> probe;
  for (int c = 0; c < num_classes; ++c) {
    const size_t want = static_cast<size_t>(n / num_classes + (c < n % num_classes ? 1 : 0));
    std::vector<int32_t>& pool = by_class[c];
    if (pool.size() < want)
      throw std::invalid_argument("--probe " + std::to_string(n) + ": class " + std::to_string(c) + " has only " +
                                  std::to_string(pool.size()) + " images, " + std::to_string(want) + " needed");
    Rng rng = Rng(seed ^ 0x9B0BE5E7ull).split(static_cast<uint64_t>(c));
    for (size_t i = 0; i < want; ++i) {  // partial Fisher-Yates: the first `want` places
      const size_t j = i + static_cast<size_t>(rng.next_u64() % (pool.size() - i));
      std::swap(pool[i], pool[j]);
    }
    std::sort(pool.begin(), pool.begin() + static_cast<std::ptrdiff_t>(want));
    probe.insert(probe.end(), pool.begin(), pool.begin() + static_cast<std::ptrdiff_t>(want));
  }
  return probe;
}

namespace {

struct Recorded {
  std::string name;
  int layer;  // -1: the input images
  std::vector<int64_t> shape;  // per sample
};

std::vector<Recorded> choose_layers(Network& net, const std::string& spec) {
  std::vector<Recorded> all;
  Shape shape = net.input_shape();
  all.push_back({"input", -1, {shape.begin(), shape.end()}});
  for (size_t i = 0; i < net.size(); ++i) {
    shape = net.layer(i).output_shape(shape);
    all.push_back({net.layer(i).name(), static_cast<int>(i), {shape.begin(), shape.end()}});
  }
  std::vector<Recorded> chosen;
  if (spec == "logits") return {all.back()};
  if (spec == "stages") {
    // What each weight layer sees (the input of conv1, the pooled conv2
    // features that fc1 sees, ...) and the logits: one recording per stage.
    auto is_view = [&](size_t layer) { return net.layer(layer).name().rfind("flatten", 0) == 0; };
    for (size_t k = 0; k < net.size(); ++k) {  // all[k] is what network layer k receives
      if (k > 0 && is_view(k - 1)) continue;
      size_t j = k;
      while (j < net.size() && is_view(j)) ++j;
      if (j < net.size() && net.layer(j).weight()) chosen.push_back(all[k]);
    }
    chosen.push_back(all.back());
    return chosen;
  }
  if (spec == "all") {
    for (const auto& r : all) {
      if (r.name.rfind("flatten", 0) != 0) chosen.push_back(r);  // a flatten repeats the layer before it
    }
    return chosen;
  }
  std::stringstream ss(spec);
  std::string name;
  while (std::getline(ss, name, ',')) {
    auto it = std::find_if(all.begin(), all.end(), [&](const Recorded& r) { return r.name == name; });
    if (it == all.end()) {
      std::string known;
      for (const auto& r : all) known += (known.empty() ? "" : ", ") + r.name;
      throw std::invalid_argument("--layers: no layer '" + name + "' (this network has " + known + ")");
    }
    if (std::any_of(chosen.begin(), chosen.end(), [&](const Recorded& r) { return r.name == name; }))
      throw std::invalid_argument("--layers: '" + name + "' named twice");
    chosen.push_back(*it);
  }
  if (chosen.empty()) throw std::invalid_argument("--layers: empty list");
  std::sort(chosen.begin(), chosen.end(), [](const Recorded& a, const Recorded& b) { return a.layer < b.layer; });
  return chosen;
}

void load_weights(Network& net, const Checkpoint& ck) {
  for (Param* p : net.params()) load_into(ck, p->name, p->value);
}

}  // namespace

void record(const RecordConfig& c) {
  if (c.batch < 1) throw std::invalid_argument("--batch " + std::to_string(c.batch) + ": must be >= 1");
  if (c.probe < 0) throw std::invalid_argument("--probe " + std::to_string(c.probe) + ": must be >= 0");
  if (c.split != "test" && c.split != "train")
    throw std::invalid_argument("--split '" + c.split + "': expected test or train");
  if (c.out.empty()) throw std::invalid_argument("--out: empty output directory");
  flush_denormals_to_zero();
  const Device device = parse_device(c.device);

  const Checkpoint ck = load_safetensors(c.checkpoint);
  require_finite_tensors(ck);  // NaN weights would record NaN activations
  auto meta = [&](const std::string& key) {
    auto it = ck.metadata.find(key);
    if (it == ck.metadata.end() || it->second.empty())
      throw std::runtime_error(c.checkpoint + ": no '" + key + "' in the checkpoint's metadata (not written by ml-train?)");
    return it->second;
  };
  const std::string spec = meta("spec");
  const std::string data_name = c.data.empty() ? meta("data") : c.data;

  DatasetPair data = load_dataset(data_name, c.data_dir);
  const Normalization norm = channel_stats(data.train);  // as ml-train normalised: whole training split
  Dataset& split = c.split == "test" ? data.test : data.train;
  normalize(split, norm);

  Network net(spec, {split.C, split.H, split.W}, 1, device);
  load_weights(net, ck);
  if (net.output_shape()[0] != split.num_classes)
    throw std::invalid_argument(c.checkpoint + ": the network has " + std::to_string(net.output_shape()[0]) +
                                " outputs, " + data_name + " has " + std::to_string(split.num_classes) + " classes");
  const std::vector<Recorded> layers = choose_layers(net, c.layers);
  if (c.cycle_levels && !c.cycles) throw std::invalid_argument("--cycle-levels: only with --cycles");
  std::unique_ptr<CycleRecording> cycles;
  if (c.cycles) cycles = std::make_unique<CycleRecording>(net, ck, c.checkpoint, c.cycle_levels);

  std::vector<int32_t> indices;
  if (c.probe == 0) {
    indices.resize(split.size());
    std::iota(indices.begin(), indices.end(), 0);
  } else {
    indices = choose_probe(split.labels, split.num_classes, c.probe, c.seed);
  }
  const int64_t n = static_cast<int64_t>(indices.size());

  std::error_code ec;
  std::filesystem::create_directories(c.out, ec);
  if (ec) throw std::runtime_error("--out '" + c.out + "': cannot create directory: " + ec.message());
  const ActsDir acts(c.out);
  // First, while nothing else is written: pc's inference is what can still fail (diverge).
  const nlohmann::json cycles_entry = cycles ? cycles->write(net, {split, indices, c.batch, device}, acts) : nullptr;

  std::vector<std::unique_ptr<NpyStreamWriter>> writers;
  for (const auto& r : layers) {
    int64_t features = 1;
    for (int64_t d : r.shape) features *= d;
    writers.push_back(std::make_unique<NpyStreamWriter>(acts.layer(r.name),
                                                        std::vector<int64_t>{n, features}));
  }
  const int classes = split.num_classes;
  std::vector<float> probs;
  if (c.probs) probs.reserve(static_cast<size_t>(n) * classes);

  const size_t row = static_cast<size_t>(split.C) * split.H * split.W;
  std::vector<float> x;
  const bool progress = isatty(2);
  for (int64_t begin = 0; begin < n; begin += c.batch) {
    const int count = static_cast<int>(std::min<int64_t>(c.batch, n - begin));
    x.resize(static_cast<size_t>(count) * row);
    for (int i = 0; i < count; ++i) {
      const float* src = split.images.data() + static_cast<size_t>(indices[begin + i]) * row;
      std::copy(src, src + row, x.begin() + static_cast<std::ptrdiff_t>(i * row));
    }
    const Tensor input = Tensor::from_vector({count, split.C, split.H, split.W}, x, device);
    const Tensor& logits = net.forward(input);
    for (size_t k = 0; k < layers.size(); ++k) {
      const std::vector<float> values =
          layers[k].layer < 0 ? x : net.layer(static_cast<size_t>(layers[k].layer)).output().to_vector();
      writers[k]->append(values.data(), values.size());
    }
    if (c.probs) {
      const std::vector<float> z = logits.to_vector();
      for (int i = 0; i < count; ++i) {
        const float* zi = z.data() + static_cast<size_t>(i) * classes;
        const double m = *std::max_element(zi, zi + classes);
        double sum = 0;
        for (int j = 0; j < classes; ++j) sum += std::exp(zi[j] - m);
        for (int j = 0; j < classes; ++j) probs.push_back(static_cast<float>(std::exp(zi[j] - m) / sum));
      }
    }
    if (progress) std::cerr << "\rrecording " << begin + count << "/" << n << std::flush;
  }
  if (progress) std::cerr << "\n";
  for (auto& w : writers) w->commit();

  std::vector<int64_t> labels(static_cast<size_t>(n)), index64(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    index64[i] = indices[i];
    labels[i] = split.labels[indices[i]];
  }
  write_npy(acts.labels(), labels.data(), {n});
  write_npy(acts.indices(), index64.data(), {n});
  if (c.probs) write_npy(acts.probs(), probs.data(), {n, classes});
  std::string names;
  nlohmann::json shapes = nlohmann::json::object();
  for (const auto& r : layers) {
    names += r.name + "\n";
    shapes[r.name] = r.shape;
  }
  write_text_atomically(acts.layer_list(), names);
  if (cycles) write_text_atomically(acts.cycle_list(), cycles->index_csv());
  nlohmann::json j;
  j["checkpoint"] = c.checkpoint;
  j["spec"] = spec;
  j["rule"] = ck.metadata.count("rule") ? ck.metadata.at("rule") : "";
  j["data"] = data_name;
  j["split"] = c.split;
  j["probe"] = n;
  j["probe_seed"] = c.seed;
  j["class_balanced"] = c.probe != 0;
  j["layers"] = shapes;
  j["class_names"] = split.class_names;
  j["probs"] = c.probs;
  if (cycles) j["cycles"] = cycles_entry;
  j["device_used"] = device_name(device);
  write_text_atomically(acts.record_json(), j.dump(2) + "\n");
}

}  // namespace ml
