// Where ml-train --snapshots saves the model mid-run: each requested epoch E
// (fractions allowed: 0.25 is a quarter of the first epoch's batches) becomes
// a point "after batch b of epoch e", e = ceil(E), b = round((E - (e - 1)) x batches),
// at least 1. The model there goes to snapshots/epoch-<E>.safetensors with the
// validation figures of that moment, so that a rule can be compared with bp at
// the same accuracy rather than only with bp fully trained.
#pragma once
#include <string>
#include <vector>

#include "training/train_state.h"

namespace ml {

// The points for `epochs` (ascending, in (0, total_epochs]), labelled as "%g" prints them; a point on the
// same batch as the one before is left out. Throws std::invalid_argument naming --snapshots when they are
// not ascending, not positive or beyond the run.
std::vector<SnapshotRow> snapshot_points(const std::vector<double>& epochs, int total_epochs, int batches);

// "0.1,0.5,2" -> {0.1, 0.5, 2}; throws naming --snapshots for a value that is not a number.
std::vector<double> parse_snapshot_epochs(const std::string& text);

}  // namespace ml
