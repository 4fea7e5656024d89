// Shared by test_logging_changes_nothing (CPU) and gpu_test_logging_changes_nothing (CUDA):
// every rule trained with --align-every, --estimator-stats and --checkpoint-every must give the
// same metrics.csv (timing columns aside) and the same weights, bit for bit, as without them.
#pragma once
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "engine/checkpoint.h"
#include "rules/registry.h"
#include "synthetic_train.h"
#include "test_util.h"
#include "training/run_dir.h"
#include "training/trainer.h"

namespace ml_test {

// metrics.csv without its timing columns (seconds, samples_per_s: the 6th and 7th).
inline std::vector<std::string> metrics_without_timing(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> rows;
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string kept;
    int column = 0;
    for (std::string field; std::getline(fields, field, ','); ++column)
      if (column != 5 && column != 6) kept += field + ",";
    rows.push_back(kept);
  }
  return rows;
}

struct Outcome {
  std::string error;                // empty: the run finished
  std::vector<std::string> metrics;
  std::vector<std::pair<std::string, std::vector<float>>> tensors;
};

inline Outcome run_outcome(ml::TrainConfig c) {
  Outcome o;
  try {
    ml::train(c);
  } catch (const std::exception& e) {
    o.error = e.what();
    // the messages name the run folder: compare them without it
    for (size_t at; (at = o.error.find(c.out)) != std::string::npos;) o.error.erase(at, c.out.size());
    return o;
  }
  const ml::RunDir dir(c.out);
  o.metrics = metrics_without_timing(dir.metrics());
  for (const auto& t : ml::load_safetensors(dir.model()).tensors) o.tensors.emplace_back(t.name, t.tensor.to_vector());
  return o;
}

// Every registered rule, plain and logged, on `device` ("cpu" or "cuda"): the same outcome.
inline void check_logging_changes_nothing(const std::string& device) {
  const TempDir dir("logging-" + device);
  for (const std::string& rule : ml::rule_names()) {
    ml::TrainConfig c = synthetic_train_config(dir.path, rule == "bptt" ? "pcn3,4s2c2-gap-fc10"
                                                                        : "conv8k3-relu-maxpool2-flatten-fc32-relu-fc10");
    c.device = device;
    c.rule = rule;
    c.epochs = 2;
    c.limit = 320;  // 10 batches of 32
    c.optimizer.lr = 0.005f;
    if (rule == "sign-symmetry") c.rule_flags = {{"feedback-magnitude", "batchwise"}};  // draws every batch
    if (rule == "weight-mirror") c.rule_flags = {{"mirror-steps", "20"}};
    if (rule == "pc") c.rule_flags = {{"inference-lr", "4"}};  // large: inference halves its step now and then
    c.out = dir.file(rule + "-plain");
    const Outcome plain = run_outcome(c);
    c.out = dir.file(rule + "-logged");
    c.align_every = 3;
    c.estimator_stats = 4;
    c.checkpoint_every = 4;
    const Outcome logged = run_outcome(c);
    INFO(rule << " on " << device << ": " << (plain.error.empty() ? "finished" : plain.error));
    CHECK(plain.error == logged.error);
    CHECK(plain.metrics == logged.metrics);
    REQUIRE(plain.tensors.size() == logged.tensors.size());
    for (size_t i = 0; i < plain.tensors.size(); ++i) {
      INFO(plain.tensors[i].first);
      CHECK(plain.tensors[i] == logged.tensors[i]);
    }
  }
}

}  // namespace ml_test
