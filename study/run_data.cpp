#include "study/run_data.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

#include "study/json_config.h"
#include "training/train_progress.h"

namespace ml {

std::vector<std::vector<std::string>> read_csv(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error(path + ": cannot open");
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(f, line);) {
    if (line.empty()) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

namespace {

double to_double(const std::string& s, const std::string& path) {
  try {
    size_t used = 0;
    double v = std::stod(s, &used);
    if (used != s.size()) throw std::invalid_argument(s);
    return v;
  } catch (const std::exception&) {
    if (s == "nan" || s == "-nan") return NAN;
    throw std::runtime_error(path + ": '" + s + "' is not a number");
  }
}

}  // namespace

const EpochRow& RunData::selected() const { return val_selected(epochs); }  // ml-train's own rule

bool has_layers(const RunData& run, const std::vector<std::string>& layers) {
  return std::all_of(layers.begin(), layers.end(), [&](const std::string& l) {
    return std::find(run.layers.begin(), run.layers.end(), l) != run.layers.end();
  });
}

RunData load_run(const std::string& dir, const std::string& name) {
  RunData r;
  r.name = name;
  r.dir = dir;
  const RunDir run(dir);
  const std::string config_path = run.config();
  std::ifstream cf(config_path, std::ios::binary);
  if (!cf) throw std::runtime_error(config_path + ": cannot open (the run never started?)");
  const RunConfig config = parse_run_config(std::string(std::istreambuf_iterator<char>(cf), {}), config_path);
  r.rule = config.rule;
  r.conv1 = config.conv1;
  r.seed = config.seed;
  r.epochs_planned = config.epochs_planned;
  r.batches_per_epoch = config.batches_per_epoch;

  const std::string metrics_path = run.metrics();
  const auto metrics = read_csv(metrics_path);
  if (metrics.empty() || metrics[0].size() < 7 || metrics[0][0] != "epoch")
    throw std::runtime_error(metrics_path + ": missing or without the header ml-train writes");
  const auto& header = metrics[0];
  const size_t val_column = std::find(header.begin(), header.end(), "val_acc") - header.begin();
  for (size_t i = 1; i < metrics.size(); ++i) {
    const auto& m = metrics[i];
    if (m.size() < 7) throw std::runtime_error(metrics_path + ": line " + std::to_string(i + 1) + " is short");
    r.epochs.push_back({static_cast<int>(to_double(m[0], metrics_path)), to_double(m[1], metrics_path),
                        to_double(m[2], metrics_path), to_double(m[3], metrics_path), to_double(m[4], metrics_path),
                        to_double(m[5], metrics_path), to_double(m[6], metrics_path)});
    if (val_column < m.size() && !m[val_column].empty()) {  // an empty cell: no validation split
      r.epochs.back().val_loss = to_double(m[val_column - 1], metrics_path);
      r.epochs.back().val_acc = to_double(m[val_column], metrics_path);
    }
  }

  const std::string align_path = run.alignment();
  if (std::ifstream(align_path)) {
    const auto rows = read_csv(align_path);
    for (size_t i = 1; i < rows.size(); ++i) {
      const auto& a = rows[i];
      if (a.size() < 5) throw std::runtime_error(align_path + ": line " + std::to_string(i + 1) + " is short");
      r.alignment.push_back({static_cast<int>(to_double(a[0], align_path)), static_cast<int>(to_double(a[1], align_path)),
                             a[2], a[3], to_double(a[4], align_path)});
    }
  }

  std::ifstream layers(run.acts().layer_list());
  for (std::string l; layers >> l;) r.layers.push_back(l);
  return r;
}

}  // namespace ml
