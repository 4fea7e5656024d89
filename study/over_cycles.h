// Over recurrent time: the PCN's representation after each cycle, and rule pc's
// value nodes after each inference step (ml-record --cycles, cycle_files.csv),
// compared with bp's final recordings of the other seeds: debiased linear CKA,
// the mean over those bp seeds (never the run's own seed), with a bootstrap
// interval over the probe images. pc's value node of layer L is compared with
// bp's layer L; a PCN block, whose layers have no bp namesake, with each of
// bp's compared layers.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "study/run_data.h"

namespace ml {

struct OverCyclesRow {
  std::string run, layer, bp_layer;  // layer: the run's (cycle_files.csv), bp_layer: what it is compared with
  int cycle = 0;                     // the PCN's cycle, pc's inference step
  double value = 0, ci_low = 0, ci_high = 0;
  int n_pairs = 0;
};

struct OverCycles {
  std::vector<OverCyclesRow> rows;  // per run and layer: per recording (time order of cycle_files.csv), per bp layer
  int draws = 0;
};

// layers: bp's compared layers. Needs 2 bp runs with them all; else empty. Writes
// DIR/analysis/over_cycles.csv (run,layer,bp_layer,cycle,measure,value,ci_low,ci_high,n_pairs) when there
// is a row. Throws std::runtime_error naming a cycle_files.csv that is malformed or lists a missing file.
OverCycles similarity_over_cycles(const std::vector<RunData>& runs, const std::vector<std::string>& layers,
                                  const std::string& dir, int draws, uint64_t seed = 1);

}  // namespace ml
