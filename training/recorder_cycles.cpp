#include "training/recorder_cycles.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "datasets/npy.h"
#include "engine/batch.h"
#include "engine/layers/pcn_block.h"
#include "rules/predictive_coding.h"

namespace ml {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Each file is a stream held open while the probe runs: at most this many per
// pass over the probe (a long PCN's every level would pass a process's file limit).
constexpr size_t kOpenFiles = 64;

int64_t numel(const Shape& s) {
  int64_t n = 1;
  for (int d : s) n *= d;
  return n;
}

json read_json(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::invalid_argument("--cycles: " + path + ": cannot be read");
  try {
    return json::parse(f);
  } catch (const std::exception& e) {
    throw std::invalid_argument("--cycles: " + path + ": not valid JSON (" + std::string(e.what()) + ")");
  }
}

Batch probe_batch(const ProbeImages& p, int64_t begin) {
  const int64_t n = static_cast<int64_t>(p.indices.size());
  const int count = static_cast<int>(std::min<int64_t>(p.batch, n - begin));
  const size_t row = static_cast<size_t>(p.split.C) * p.split.H * p.split.W;
  std::vector<float> x(static_cast<size_t>(count) * row);
  std::vector<int32_t> labels(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    const size_t image = static_cast<size_t>(p.indices[begin + i]);
    std::copy_n(p.split.images.data() + image * row, row, x.begin() + static_cast<std::ptrdiff_t>(i * row));
    labels[i] = p.split.labels[image];
  }
  Batch b;
  b.x = Tensor::from_vector({count, p.split.C, p.split.H, p.split.W}, x, p.device);
  b.labels = IntBuffer(static_cast<size_t>(count), p.device);
  b.labels.upload(labels.data(), labels.size());
  b.host_labels = std::move(labels);
  return b;
}

void append(NpyStreamWriter& w, const Tensor& t) {
  const std::vector<float> v = t.to_vector();
  w.append(v.data(), v.size());
}

}  // namespace

CycleRecording::CycleRecording(Network& net, const Checkpoint& ck, const std::string& checkpoint, bool levels) {
  std::vector<Shape> in(net.size()), out(net.size());
  Shape shape = net.input_shape();
  for (size_t i = 0; i < net.size(); ++i) {
    in[i] = shape;
    out[i] = shape = net.layer(i).output_shape(shape);
  }
  for (size_t i = 0; i < net.size(); ++i) {
    auto* block = dynamic_cast<PcnBlock*>(&net.layer(i));
    if (!block) continue;
    const std::vector<Shape> level = block->level_shapes(in[i]);
    const int L = block->levels(), K = block->cycles();
    json names = json::array();
    for (int l = levels ? 1 : L; l <= L; ++l) {
      const std::string name = l == L ? block->name() : block->name() + ".r" + std::to_string(l);
      for (int t = 0; t <= K; ++t) files_.push_back({name, t, K, numel(level[l - 1]), i, l, false});
      names.push_back(name);
    }
    summary_.push_back({{"kind", "pcn"},
                        {"block", block->name()},
                        {"token", block->token()},
                        {"unit", "cycle"},
                        {"cycles", K},
                        {"layers", names},
                        {"what",
                         "r_l after the feedforward sweep (cycle 0) and after each cycle; <block> is r_L, "
                         "<block>.r<l> level l; cycle K of <block> is <block>.npy"}});
  }

  const auto rule = ck.metadata.find("rule");
  const std::string rule_name = rule == ck.metadata.end() ? "" : rule->second;
  if (rule_name == "pc") {
    const fs::path here = fs::path(checkpoint).parent_path();
    std::string config;
    for (const fs::path& dir : {here, here.parent_path()}) {  // a snapshot sits in RUN/snapshots/
      const std::string candidate = RunDir(dir.string()).config();
      if (fs::exists(candidate)) {
        config = candidate;
        break;
      }
    }
    if (config.empty()) {
      throw std::invalid_argument(
          "--cycles: rule pc's inference settings are in its run's config.json, found "
          "neither beside " +
          checkpoint + " nor one folder up");
    }
    const json cfg = read_json(config);
    if (cfg.value("rule", "") != "pc" || cfg.value("spec", "") != net.spec()) {
      throw std::invalid_argument("--cycles: " + config + " is not the config of " + checkpoint +
                                  "'s run (rule pc, spec '" + net.spec() + "')");
    }
    try {
      const json& rc = cfg.at("rule_config");
      pc_steps_ = rc.at("inference_steps").get<int>();
      pc_lr_ = rc.at("inference_lr").get<float>();
      pc_beta_ = rc.at("pc_beta").get<float>();
    } catch (const json::exception& e) {
      throw std::invalid_argument("--cycles: " + config + ": rule_config: " + e.what());
    }
    PredictiveCoding probe_rule({pc_steps_, pc_lr_, pc_beta_});  // checks the settings
    pc_start_ = probe_rule.scalar_state();
    std::string step_from = fs::path(config).filename().string();
    const std::string state = RunDir(fs::path(config).parent_path().string()).train_state();
    if (fs::exists(state)) {
      try {
        const Checkpoint s = load_safetensors(state);
        pc_start_ = json::parse(s.metadata.at("progress")).at("rule");
        probe_rule.restore_scalar_state(pc_start_);
      } catch (const std::exception& e) {
        throw std::invalid_argument("--cycles: " + state + ": no step size of rule pc (" + e.what() + ")");
      }
      step_from = fs::path(state).filename().string();
    }
    json names = json::array();
    size_t node = 0;
    for (size_t i : probe_rule.value_node_layers(net)) {
      const size_t features = static_cast<size_t>(numel(out[i]));
      while (i > 0 && net.layer(i).name().rfind("flatten", 0) == 0) --i;  // a flatten repeats its source
      for (int t = 0; t <= pc_steps_; ++t)
        files_.push_back({net.layer(i).name(), t, pc_steps_, static_cast<int64_t>(features), node, 0, true});
      names.push_back(net.layer(i).name());
      ++node;
    }
    if (!names.empty()) {
      summary_.push_back({{"kind", "pc"},
                          {"unit", "inference step"},
                          {"steps", pc_steps_},
                          {"layers", names},
                          {"what",
                           "each free value node after inference step t (0: the forward pass), the label "
                           "clamped through the top energy term, as in training"},
                          {"inference_lr", probe_rule.inference_lr()},
                          {"inference_lr_from", step_from},
                          {"pc_beta", pc_beta_}});
    }
  }
  if (files_.empty()) {
    throw std::invalid_argument(
        "--cycles: " + checkpoint + ": nothing recurrent to record: the network '" + net.spec() + "' has no PCN block" +
        (rule_name == "pc" ? " and no hidden value node for rule pc" : " and its rule '" + rule_name + "' is not pc") +
        " (train with --arch pcn or --rule pc)");
  }
}

void CycleRecording::run_pcn(Network& net, const ProbeImages& probe, const std::vector<const File*>& files,
                             const std::vector<std::string>& paths) {
  const int64_t n = static_cast<int64_t>(probe.indices.size());
  std::vector<std::unique_ptr<NpyStreamWriter>> writers;
  for (size_t k = 0; k < files.size(); ++k)
    writers.push_back(std::make_unique<NpyStreamWriter>(paths[k], std::vector<int64_t>{n, files[k]->features}));
  std::vector<size_t> blocks;
  for (const File* f : files) {
    if (std::find(blocks.begin(), blocks.end(), f->source) == blocks.end()) blocks.push_back(f->source);
  }
  for (size_t b : blocks) {
    auto& block = dynamic_cast<PcnBlock&>(net.layer(b));
    block.set_keep_for_backward(false);  // no backward follows: the block reuses its buffers
    block.set_cycle_observer([&, b](int t, const std::vector<const Tensor*>& levels) {
      for (size_t k = 0; k < files.size(); ++k) {
        if (files[k]->source == b && files[k]->t == t) append(*writers[k], *levels[files[k]->level - 1]);
      }
    });
  }
  for (int64_t begin = 0; begin < n; begin += probe.batch) net.forward(probe_batch(probe, begin).x);
  for (size_t b : blocks) {
    auto& block = dynamic_cast<PcnBlock&>(net.layer(b));
    block.set_cycle_observer(nullptr);
    block.set_keep_for_backward(true);
  }
  for (auto& w : writers) w->commit();
}

void CycleRecording::run_pc(Network& net, const ProbeImages& probe, const std::vector<const File*>& files,
                            const std::vector<std::string>& paths) {
  const int64_t n = static_cast<int64_t>(probe.indices.size());
  std::vector<std::unique_ptr<NpyStreamWriter>> writers;
  for (size_t k = 0; k < files.size(); ++k)
    writers.push_back(std::make_unique<NpyStreamWriter>(paths[k], std::vector<int64_t>{n, files[k]->features}));
  PredictiveCoding rule({pc_steps_, pc_lr_, pc_beta_});
  rule.attach(net, 0);
  rule.set_step_observer([&](int t, const std::vector<Tensor>& nodes) {
    for (size_t k = 0; k < files.size(); ++k) {
      if (files[k]->t == t) append(*writers[k], nodes[files[k]->source]);
    }
  });
  const int start_halvings = pc_start_.at("halvings").get<int>();
  int halvings = 0;
  for (int64_t begin = 0; begin < n; begin += probe.batch) {
    rule.restore_scalar_state(pc_start_);
    if (!rule.infer(net, probe_batch(probe, begin)).finite) {
      throw std::runtime_error("--cycles: rule pc: the forward pass of probe images " + std::to_string(begin) +
                               ".. gives a non-finite loss");
    }
    halvings += rule.scalar_state().at("halvings").get<int>() - start_halvings;
  }
  pc_halvings_ = halvings;
  for (auto& w : writers) w->commit();
}

nlohmann::json CycleRecording::write(Network& net, const ProbeImages& probe, const ActsDir& acts) {
  std::ostringstream csv;
  csv << "layer,cycle,file\n";
  for (size_t lo = 0; lo < files_.size();) {
    size_t hi = lo;
    while (hi < files_.size() && hi - lo < kOpenFiles && files_[hi].pc == files_[lo].pc) ++hi;
    std::vector<const File*> group;
    std::vector<std::string> paths;
    for (size_t k = lo; k < hi; ++k) {
      const File& f = files_[k];
      group.push_back(&f);
      paths.push_back(acts.layer(ActsDir::at_time(f.layer, f.pc ? "step" : "cycle", f.t, f.last)));
      csv << f.layer << ',' << f.t << ',' << fs::path(paths.back()).filename().string() << '\n';
    }
    if (files_[lo].pc)
      run_pc(net, probe, group, paths);
    else
      run_pcn(net, probe, group, paths);
    lo = hi;
  }
  csv_ = csv.str();
  json sources = summary_;
  for (json& s : sources) {
    if (s.at("kind") == "pc") s["inference_lr_halvings"] = pc_halvings_;  // within the recording, summed over batches
  }
  return {{"index", fs::path(acts.cycle_list()).filename().string()}, {"sources", sources}};
}

}  // namespace ml
