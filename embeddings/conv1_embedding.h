// The first layer's embedding (`ml-train --conv1 KIND [--freeze-conv1]`):
// learned (the default init, trained like any layer), gabor, dog, random (the
// default init, meant to be frozen), pca, nmf or hebbian filters. The fixed
// banks are computed once after the network is built and before the rule
// attaches, deterministically from the seed and (pca, nmf, hebbian) from
// patches of the training set.
//
// Scale: every designed or data-driven filter is scaled to L2 norm 1/sqrt(3),
// the expected norm of a filter under the default init (uniform in
// +-1/sqrt(fan_in)), and its bias set to 0; learned and random keep the
// default init's weights and biases.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/flags.h"
#include "datasets/dataset.h"
#include "embeddings/filter_bank.h"
#include "embeddings/hebbian.h"
#include "engine/network.h"

namespace ml {

struct Conv1Options {
  std::string kind = "learned";
  bool freeze = false;   // conv1.weight and conv1.bias never updated (Param::frozen)
  int patches = 20000;   // pca, nmf, hebbian: patches drawn from the training set
  GaborOptions gabor;
  DogOptions dog;
  std::string nmf_objective = "frobenius";
  int nmf_iterations = 200;
  HebbianOptions hebbian;
};

std::vector<std::string> conv1_kinds();  // learned, gabor, dog, random, pca, nmf, hebbian

// The embeddings' flags (--conv1, --freeze-conv1 and each bank's own), declared here so that
// ml-train adds them without knowing them; and their values read back (defaults filled in).
const std::vector<FlagSpec>& conv1_flags();
Conv1Options conv1_options(const FlagValues& given);

// Throws std::invalid_argument with one line: an unknown kind (listing the
// known ones), --freeze-conv1 with learned, a bad option value.
void validate_conv1(const Conv1Options& o);

// The unscaled [K, C, R, R] bank of a fixed kind (gabor, dog, pca, nmf,
// hebbian) for a conv1 with that weight shape. train holds normalized images
// (what conv1 sees); nmf undoes norm to factorise the non-negative pixels.
// info, when given, receives what was used (parameters, PCA variances, NMF
// objective, ...) for config.json.
std::vector<float> conv1_bank(const Conv1Options& o, int K, int C, int R, const Dataset& train,
                              const Normalization& norm, uint64_t seed, nlohmann::json* info = nullptr);

// Sets the layer named conv1 of net from o (scaled bank, bias 0) and marks its
// params frozen when o.freeze. Returns the description stored as config.json's
// "conv1". Throws std::invalid_argument when a non-learned kind or
// --freeze-conv1 is asked for and the network has no conv layer named conv1.
nlohmann::json apply_conv1_embedding(Network& net, const Conv1Options& o, const Dataset& train,
                                     const Normalization& norm, uint64_t seed);

}  // namespace ml
