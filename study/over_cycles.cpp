#include "study/over_cycles.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>
#include <stdexcept>

#include "analysis/matrix_io.h"
#include "base/atomic_file.h"
#include "study/layer_measures.h"

namespace ml {
namespace {

struct CycleFile {
  std::string layer;
  int cycle;
  std::string path;
};

std::vector<CycleFile> cycle_files(const ActsDir& acts) {
  std::vector<CycleFile> out;
  const std::string list = acts.cycle_list();
  if (!std::filesystem::exists(list)) return out;
  const auto rows = read_csv(list);
  if (rows.empty() || rows[0] != std::vector<std::string>{"layer", "cycle", "file"})
    throw std::runtime_error(list + ": expected the header layer,cycle,file");
  for (size_t i = 1; i < rows.size(); ++i) {
    const std::string where = list + ": row " + std::to_string(i + 1);
    if (rows[i].size() != 3) throw std::runtime_error(where + ": expected 3 columns");
    int cycle = -1;
    try {
      size_t used = 0;
      cycle = std::stoi(rows[i][1], &used);
      if (used != rows[i][1].size()) cycle = -1;
    } catch (const std::exception&) {
    }
    if (cycle < 0) throw std::runtime_error(where + ": cycle '" + rows[i][1] + "' is not a step number");
    const std::string path = (std::filesystem::path(acts.dir()) / rows[i][2]).string();
    if (rows[i][2].find('/') != std::string::npos || !std::filesystem::exists(path))
      throw std::runtime_error(where + ": no file '" + rows[i][2] + "' in " + acts.dir());
    out.push_back({rows[i][0], cycle, path});
  }
  return out;
}

}  // namespace

OverCycles similarity_over_cycles(const std::vector<RunData>& runs, const std::vector<std::string>& layers,
                                  const std::string& dir, int draws, uint64_t seed) {
  OverCycles out;
  out.draws = draws;
  std::vector<const RunData*> bp;
  for (const auto& r : runs) {
    const bool has_all = has_layers(r, layers);
    if (has_all && r.variant() == "bp") bp.push_back(&r);
  }
  if (bp.size() < 2 || layers.empty()) return out;
  const int64_t n = load_labels_npy(bp.front()->acts().labels()).size();
  std::map<std::string, std::vector<LayerView>> bp_views;  // loaded when first asked for
  auto bp_layer = [&](const std::string& layer) -> const std::vector<LayerView>& {
    auto it = bp_views.find(layer);
    if (it != bp_views.end()) return it->second;
    std::vector<LayerView> views;
    for (const RunData* b : bp) views.push_back(layer_view(b->acts().layer(layer), n));
    return bp_views.emplace(layer, std::move(views)).first->second;
  };
  std::ostringstream csv;
  csv.precision(8);
  csv << "run,layer,bp_layer,cycle,measure,value,ci_low,ci_high,n_pairs\n";
  for (const auto& r : runs) {
    const std::vector<CycleFile> files = cycle_files(r.acts());
    if (files.empty()) continue;
    std::fprintf(stderr, "ml-study: similarity over recurrent time, %s: %zu recordings\n", r.name.c_str(),
                 files.size());
    // Group by layer, keeping the file's time order within each.
    std::vector<std::string> own_layers;
    for (const auto& f : files)
      if (std::find(own_layers.begin(), own_layers.end(), f.layer) == own_layers.end()) own_layers.push_back(f.layer);
    for (const auto& own : own_layers) {
      const bool namesake = std::find(layers.begin(), layers.end(), own) != layers.end();
      const std::vector<std::string> partners = namesake ? std::vector<std::string>{own} : layers;
      for (const auto& f : files) {
        if (f.layer != own) continue;
        const LayerView view = layer_view(f.path, n);
        for (const auto& partner : partners) {
          const std::vector<LayerView>& finals = bp_layer(partner);
          std::vector<std::pair<const LayerView*, const LayerView*>> pairs;
          for (size_t b = 0; b < bp.size(); ++b)
            if (bp[b]->seed != r.seed) pairs.push_back({&view, &finals[b]});
          if (pairs.empty()) continue;
          const PairsMean p = mean_over_pairs(0, pairs, n, draws, seed);  // 0: debiased CKA
          out.rows.push_back({r.name, own, partner, f.cycle, p.value, p.ci.low, p.ci.high,
                              static_cast<int>(pairs.size())});
          csv << r.name << ',' << own << ',' << partner << ',' << f.cycle << ",debiased_cka," << p.value << ','
              << p.ci.low << ',' << p.ci.high << ',' << pairs.size() << '\n';
        }
      }
    }
  }
  if (!out.rows.empty()) write_text_atomically(dir + "/analysis/over_cycles.csv", csv.str());
  return out;
}

}  // namespace ml
