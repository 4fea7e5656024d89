// What a training state must be before a run resumes from it, checked on the
// file alone (no network built): every tensor its manifest lists is present
// with that shape, every tensor is finite, and the position lies inside the
// run (the epoch within the run's epochs, the batch within the epoch, the
// finished epochs' rows and the epoch's counts agreeing with the position).
// A damaged state is refused rather than continued from: a resume promises the
// numbers of a run that was never stopped.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "engine/checkpoint.h"
#include "training/train_progress.h"

namespace ml {

// The run a state is resumed into.
struct RunExtent {
  int epochs = 1;             // --epochs
  int batches_per_epoch = 1;  // ceil(train images / batch)
  int batch = 1;              // --batch
  long train_images = 1;      // after --val and --limit
};

// The state's manifest: tensor name -> shape, kept in the metadata entry "tensors".
std::string tensor_manifest(const std::vector<NamedTensor>& tensors);

// Checks the state `ck` read from `name` (the manifest when it has one, finiteness, the progress entry against
// `run`) and returns its progress. Throws std::runtime_error "name: what is wrong" (one line).
TrainProgress checked_train_state(const Checkpoint& ck, const std::string& name, const RunExtent& run);

}  // namespace ml
