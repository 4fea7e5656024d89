#include "embeddings/conv1_embedding.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "embeddings/nmf.h"
#include "embeddings/patches.h"
#include "embeddings/pca_filters.h"
#include "base/rng.h"

namespace ml {
namespace {

// Patches are drawn from their own stream of the seed, apart from the network's init.
uint64_t embedding_seed(uint64_t seed) { return Rng(seed).split(0xC0471).next_u64(); }

// A float option as the user typed it (0.4, not 0.4000000059604645), for config.json.
double typed(float f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.7g", f);
  return std::strtod(buf, nullptr);
}

Layer* find_conv1(Network& net) {
  for (size_t i = 0; i < net.size(); ++i) {
    if (net.layer(i).name() == "conv1") return &net.layer(i);
  }
  return nullptr;
}

}  // namespace

std::vector<std::string> conv1_kinds() { return {"learned", "gabor", "dog", "random", "pca", "nmf", "hebbian"}; }

const std::vector<FlagSpec>& conv1_flags() {
  static const std::vector<FlagSpec> flags = {
      {"conv1", FlagType::Text, "learned",
       "first-layer embedding: learned (trained like any layer), gabor, dog, random (the default init), pca, nmf or "
       "hebbian; every fixed bank's filters are scaled to the default init's expected L2 norm 1/sqrt(3) with bias 0"},
      {"freeze-conv1", FlagType::Switch, "", "never update conv1.weight and conv1.bias (the optimizer skips them)"},
      {"conv1-patches", FlagType::Int, "20000", "pca, nmf, hebbian: random patches drawn from the training set"},
      {"gabor-orientations", FlagType::Int, "8", "gabor: orientations, theta = i*pi/N"},
      {"gabor-phases", FlagType::Int, "2", "gabor: phases i*pi/2, i < N (1..4)"},
      {"gabor-wavelengths", FlagType::FloatList, "",
       "gabor: wavelengths in pixels, comma-separated (default: enough to fill the channels, geometric in "
       "[2.5, max(2.5, 1.5 R)])"},
      {"gabor-sigma-ratio", FlagType::Float, "0.56", "gabor: envelope sigma / wavelength"},
      {"gabor-gamma", FlagType::Float, "1", "gabor: envelope aspect ratio"},
      {"dog-scales", FlagType::Int, "0", "dog: centre sigmas, each on and off centre (0: channels / 2)"},
      {"dog-sigma-min", FlagType::Float, "0.5", "dog: smallest centre sigma (pixels)"},
      {"dog-sigma-max", FlagType::Float, "0", "dog: largest centre sigma (0: max(sigma-min, R/3))"},
      {"dog-ratio", FlagType::Float, "2", "dog: surround sigma / centre sigma"},
      {"nmf-objective", FlagType::Text, "frobenius", "nmf: frobenius or kl"},
      {"nmf-iterations", FlagType::Int, "200", "nmf: multiplicative updates"},
      {"hebbian-p", FlagType::Float, "3", "hebbian: Lebesgue norm p of the weights"},
      {"hebbian-delta", FlagType::Float, "0.4", "hebbian: anti-Hebbian strength"},
      {"hebbian-k", FlagType::Int, "2", "hebbian: rank of the unit pushed away"},
      {"hebbian-epochs", FlagType::Int, "10", "hebbian: passes over the patches"},
      {"hebbian-lr", FlagType::Float, "0.02", "hebbian: initial learning rate (decays linearly to 0)"},
  };
  return flags;
}

Conv1Options conv1_options(const FlagValues& given) {
  const FlagValues f = given.with_defaults(conv1_flags(), "the conv1 embeddings");
  Conv1Options o;
  o.kind = f.get_text("conv1");
  o.freeze = f.get_switch("freeze-conv1");
  o.patches = f.get_int("conv1-patches");
  o.gabor.orientations = f.get_int("gabor-orientations");
  o.gabor.phases = f.get_int("gabor-phases");
  if (!f.get_text("gabor-wavelengths").empty()) o.gabor.wavelengths = f.get_floats("gabor-wavelengths");
  o.gabor.sigma_ratio = f.get_float("gabor-sigma-ratio");
  o.gabor.gamma = f.get_float("gabor-gamma");
  o.dog.scales = f.get_int("dog-scales");
  o.dog.sigma_min = f.get_float("dog-sigma-min");
  o.dog.sigma_max = f.get_float("dog-sigma-max");
  o.dog.ratio = f.get_float("dog-ratio");
  o.nmf_objective = f.get_text("nmf-objective");
  o.nmf_iterations = f.get_int("nmf-iterations");
  o.hebbian.p = f.get_float("hebbian-p");
  o.hebbian.delta = f.get_float("hebbian-delta");
  o.hebbian.k = f.get_int("hebbian-k");
  o.hebbian.epochs = f.get_int("hebbian-epochs");
  o.hebbian.lr = f.get_float("hebbian-lr");
  return o;
}

void validate_conv1(const Conv1Options& o) {
  const auto kinds = conv1_kinds();
  if (std::find(kinds.begin(), kinds.end(), o.kind) == kinds.end()) {
    std::string known;
    for (const auto& k : kinds) known += (known.empty() ? "" : ", ") + k;
    throw std::invalid_argument("--conv1 '" + o.kind + "': unknown; known: " + known);
  }
  if (o.kind == "learned" && o.freeze) {
    throw std::invalid_argument("--freeze-conv1 with --conv1 learned: nothing would learn conv1 (for fixed random "
                                "filters use --conv1 random --freeze-conv1)");
  }
  if (o.patches < 2) throw std::invalid_argument("--conv1-patches " + std::to_string(o.patches) + ": must be >= 2");
  if (o.nmf_iterations < 1) {
    throw std::invalid_argument("--nmf-iterations " + std::to_string(o.nmf_iterations) + ": must be >= 1");
  }
  parse_nmf_objective(o.nmf_objective);
  // The banks check their own options; try them on a small shape so a bad
  // value is reported before any data is loaded.
  if (o.kind == "gabor") gabor_layout(8, 3, o.gabor);
  if (o.kind == "dog") dog_layout(8, 3, o.dog);
}

std::vector<float> conv1_bank(const Conv1Options& o, int K, int C, int R, const Dataset& train,
                              const Normalization& norm, uint64_t seed, nlohmann::json* info) {
  nlohmann::json j;
  std::vector<float> bank;
  const int D = C * R * R;
  if (o.kind == "gabor") {
    bank = gabor_bank(K, C, R, o.gabor);
    nlohmann::json channels = nlohmann::json::array();
    for (const auto& g : gabor_layout(K, R, o.gabor)) {
      channels.push_back({{"theta", g.theta}, {"wavelength", g.wavelength}, {"phase", g.phase}, {"sigma", g.sigma}});
    }
    j = {{"orientations", o.gabor.orientations}, {"phases", o.gabor.phases}, {"sigma_ratio", typed(o.gabor.sigma_ratio)},
         {"gamma", typed(o.gabor.gamma)}, {"channels", channels}};
  } else if (o.kind == "dog") {
    bank = dog_bank(K, C, R, o.dog);
    nlohmann::json channels = nlohmann::json::array();
    for (const auto& d : dog_layout(K, R, o.dog)) {
      channels.push_back({{"sigma_center", d.sigma_center}, {"sigma_surround", d.sigma_surround}, {"sign", d.sign}});
    }
    j = {{"ratio", typed(o.dog.ratio)}, {"channels", channels}};
  } else if (o.kind == "pca" || o.kind == "nmf" || o.kind == "hebbian") {
    std::vector<float> patches = sample_patches(train, R, o.patches, embedding_seed(seed));
    j["patches"] = o.patches;
    if (o.kind == "pca") {
      const PatchPca pca = patch_pca(patches, o.patches, D);
      bank = pca_filters(pca, K);
      j["eigenvalues"] = pca.eigenvalues;
    } else if (o.kind == "nmf") {
      // Back to the pixels' own non-negative values: x * std + mean per channel.
      for (int p = 0; p < o.patches; ++p) {
        for (int c = 0; c < C; ++c) {
          float* x = patches.data() + static_cast<size_t>(p) * D + static_cast<size_t>(c) * R * R;
          for (int i = 0; i < R * R; ++i) x[i] = x[i] * norm.stddev.at(c) + norm.mean.at(c);
        }
      }
      NmfOptions no;
      no.rank = K;
      no.iterations = o.nmf_iterations;
      no.objective = parse_nmf_objective(o.nmf_objective);
      no.seed = embedding_seed(seed);
      NmfResult r = nmf(samples_as_columns(patches, o.patches, D), no);
      nmf_normalize(r.W, r.H);
      bank.resize(static_cast<size_t>(K) * D);
      for (int k = 0; k < K; ++k) {
        for (int i = 0; i < D; ++i) bank[static_cast<size_t>(k) * D + i] = static_cast<float>(r.W(i, k));
      }
      j["objective"] = nmf_objective_name(no.objective);
      j["iterations"] = no.iterations;
      j["objective_first"] = r.objective.front();
      j["objective_last"] = r.objective.back();
      j["input"] = "patches de-normalized to the pixels' [0, 1] values";
    } else {
      const HebbianResult r = krotov_hopfield(patches, o.patches, D, K, o.hebbian, embedding_seed(seed));
      bank = r.weights;
      const auto [lo, hi] = std::minmax_element(r.norms.end() - K, r.norms.end());
      j.update({{"p", typed(o.hebbian.p)}, {"delta", typed(o.hebbian.delta)}, {"k", o.hebbian.k},
                {"epochs", o.hebbian.epochs}, {"batch", o.hebbian.batch}, {"lr", typed(o.hebbian.lr)}, {"input", "normalized patches"},
                {"p_norm_min", *lo}, {"p_norm_max", *hi},
                {"units_that_never_won_in_the_last_epoch", std::count(r.wins.begin(), r.wins.end(), 0)}});
    }
  } else {
    throw std::invalid_argument("--conv1 '" + o.kind + "': not a fixed bank");
  }
  if (info) *info = j;
  return bank;
}

nlohmann::json apply_conv1_embedding(Network& net, const Conv1Options& o, const Dataset& train,
                                     const Normalization& norm, uint64_t seed) {
  validate_conv1(o);
  nlohmann::json j = {{"kind", o.kind}, {"frozen", o.freeze}};
  if (o.kind == "learned" && !o.freeze) {
    j["init"] = "default (uniform in +-1/sqrt(fan_in))";
    return j;
  }
  Layer* conv1 = find_conv1(net);
  Param* w = conv1 ? conv1->weight() : nullptr;
  if (!w || w->value.ndim() != 4) {
    throw std::invalid_argument("--conv1 " + o.kind + (o.freeze ? " --freeze-conv1" : "") + ": the network '" +
                                net.spec() + "' has no conv layer named conv1");
  }
  const int K = w->value.dim(0), C = w->value.dim(1), R = w->value.dim(2);
  if (o.kind == "random") {
    j["init"] = "default (uniform in +-1/sqrt(fan_in)), bias included";
  } else {
    nlohmann::json info;
    std::vector<float> bank = conv1_bank(o, K, C, R, train, norm, seed, &info);
    scale_filters(bank, K, kDefaultFilterNorm);
    w->value.copy_from(Tensor::from_vector(w->value.shape(), bank));
    if (Param* b = conv1->bias()) b->value.zero();
    j["filter_norm"] = kDefaultFilterNorm;
    j["scale"] = "each filter scaled to L2 norm 1/sqrt(3), the default init's expected norm; bias 0";
    j["bank"] = info;
  }
  if (o.freeze) {
    for (Param* p : conv1->params()) p->frozen = true;
  }
  return j;
}

}  // namespace ml
