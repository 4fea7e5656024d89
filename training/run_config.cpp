#include "training/run_config.h"

#include <omp.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "base/cuda_memory.h"

namespace ml {
namespace {

// A float flag as the user typed it (0.9, not 0.8999999761581421): float's 7 digits, read back as double.
double as_typed(float f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.7g", f);
  return std::strtod(buf, nullptr);
}

}  // namespace

nlohmann::json config_json(const TrainConfig& c, Network& net, LearningRule& rule, const Normalization& norm,
                           const DatasetPair& data, Device device) {
  nlohmann::json j;
  j["rule"] = c.rule;
  j["rule_config"] = rule.config();
  j["data"] = c.data;
  j["data_dir"] = c.data_dir;
  j["arch"] = c.arch;
  j["spec"] = net.spec();
  j["epochs"] = c.epochs;
  j["batch"] = c.batch;
  j["test_batch"] = c.test_batch;
  j["limit"] = c.limit;
  j["val"] = c.val;
  j["val_seed"] = c.val_seed;
  j["snapshots"] = c.snapshots;
  j["seed"] = c.seed;
  j["device"] = c.device;
  j["device_used"] = device_name(device);
  j["device_description"] = device == Device::CUDA ? cuda_device_description() : "cpu";
  j["cpu_threads"] = omp_get_max_threads();
  j["cpu_denormals"] = "flushed to zero";
  j["out"] = c.out;
  const OptimizerConfig& o = c.optimizer;
  j["align_every"] = c.align_every;
  j["checkpoint_every"] = c.checkpoint_every;
  j["max_loss"] = c.max_loss;
  j["command_line"] = c.command_line;
  j["estimator_stats"] = c.estimator_stats;
  j["optimizer"] = {{"name", o.name},
                    {"lr", as_typed(o.lr)},
                    {"lr_schedule", o.lr_schedule},
                    {"momentum", as_typed(o.momentum)},
                    {"weight_decay", as_typed(o.weight_decay)},
                    {"clip_grad_norm", as_typed(o.clip_grad_norm)},
                    {"beta1", as_typed(o.beta1)},
                    {"beta2", as_typed(o.beta2)},
                    {"eps", as_typed(o.eps)}};
  j["normalization"] = {{"mean", norm.mean}, {"std", norm.stddev}};
  j["train_samples"] = data.train.size();  // after the validation split and --limit
  j["val_samples"] = c.val;
  j["test_samples"] = data.test.size();
  j["input_shape"] = net.input_shape();
  j["parameters"] = net.num_parameters();
  j["class_names"] = data.train.class_names;
  return j;
}

void check_same_run(const std::string& path, const nlohmann::json& now) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("--resume: cannot read " + path + ": " + std::strerror(errno));
  nlohmann::json saved;
  try {
    saved = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": not valid JSON: " + e.what());
  }
  // runs started before --lr-schedule and --clip-grad-norm existed ran at a constant rate, unclipped
  if (saved.contains("optimizer") && saved["optimizer"].is_object()) {
    if (!saved["optimizer"].contains("lr_schedule")) saved["optimizer"]["lr_schedule"] = "constant";
    if (!saved["optimizer"].contains("clip_grad_norm")) saved["optimizer"]["clip_grad_norm"] = 0;
  }
  // runs started before --val and --snapshots held nothing out and saved no snapshots
  if (!saved.contains("val")) saved["val"] = 0;
  if (!saved.contains("val_seed")) saved["val_seed"] = now.at("val_seed");
  if (!saved.contains("val_samples")) saved["val_samples"] = 0;
  if (!saved.contains("snapshots")) saved["snapshots"] = nlohmann::json::array();
  // where the run lives, how often it saves, the GPU's description: free to differ
  for (const auto& [key, value] : now.items()) {
    if (key == "out" || key == "checkpoint_every" || key == "max_loss" || key == "device_description" ||
        key == "cpu_threads")
      continue;
    if (!saved.contains(key) || saved[key] != value) {
      throw std::runtime_error(path + ": \"" + key + "\" is " + (saved.contains(key) ? saved[key].dump() : "missing") +
                               " there, " + value.dump() + " for the resumed run; --resume continues only the same run");
    }
  }
  if (saved.value("cpu_threads", 0) != now.value("cpu_threads", 0)) {
    std::fprintf(stderr, "ml-train: warning: the run used %d CPU threads, this one %d: it goes on, but not bit for bit "
                 "as an uninterrupted run (OMP_NUM_THREADS=%d would)\n", saved.value("cpu_threads", 0),
                 now.value("cpu_threads", 0), saved.value("cpu_threads", 0));
  }
}

void validate_train_config(const TrainConfig& c) {
  if (c.epochs < 1) throw std::invalid_argument("--epochs " + std::to_string(c.epochs) + ": must be >= 1");
  if (c.batch < 1) throw std::invalid_argument("--batch " + std::to_string(c.batch) + ": must be >= 1");
  if (c.test_batch < 1) throw std::invalid_argument("--test-batch " + std::to_string(c.test_batch) + ": must be >= 1");
  if (c.val < 0) throw std::invalid_argument("--val " + std::to_string(c.val) + ": must be >= 0");
  if (c.limit < 0) throw std::invalid_argument("--limit " + std::to_string(c.limit) + ": must be >= 0");
  if (c.out.empty()) throw std::invalid_argument("--out: empty output directory");
  if (c.align_every < 0) throw std::invalid_argument("--align-every " + std::to_string(c.align_every) + ": must be >= 0");
  if (c.checkpoint_every < 0)
    throw std::invalid_argument("--checkpoint-every " + std::to_string(c.checkpoint_every) + ": must be >= 0");
  if (!(c.max_loss >= 0)) throw std::invalid_argument("--max-loss " + std::to_string(c.max_loss) + ": must be >= 0");
  if (c.estimator_stats < 0) {
    throw std::invalid_argument("--estimator-stats " + std::to_string(c.estimator_stats) + ": must be >= 0");
  }
  validate_conv1(c.conv1);
}

}  // namespace ml
