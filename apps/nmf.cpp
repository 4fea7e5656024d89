// ml-nmf: parts-based bases by non-negative matrix factorisation (Lee & Seung
// 1999) of image patches or whole images of a data set's training split, on the
// pixels' own [0, 1] values.
//
//   ml-nmf --data fashion-mnist --rank 32 --patch 3 --out runs/nmf-p3
//   ml-nmf --data fashion-mnist --rank 49 --patch full --samples 10000 --objective kl --out runs/nmf-full
//
// Writes into --out: basis.npy [rank, C, P, P] (each part scaled to unit L2
// norm), encodings.npy [samples, rank] (the matching H^T, so basis^T x
// encodings^T reconstructs the samples), objective.csv (iteration, objective),
// basis.png (a grid of the parts) and nmf.json (the settings).
// Eigen's AVX-512 kernels trip GCC 12's -Wmaybe-uninitialized inside avx512fintrin.h
// (a false positive in system code inlined into ours; see CMakeLists.txt).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <iostream>
#include <sstream>

#include <cxxopts.hpp>

#include "apps/cli.h"
#include <nlohmann/json.hpp>

#include "datasets/dataset.h"
#include "datasets/npy.h"
#include "embeddings/nmf.h"
#include "embeddings/patches.h"
#include "base/atomic_file.h"
#include "study/png_image.h"

namespace {

// Sizes refused before anything is allocated or written: far above any real
// use (tens of parts; MNIST's 60000 x 784 or CIFAR-10's 50000 x 3072 values).
constexpr int kMaxRank = 1024;
constexpr int64_t kMaxValues = int64_t{1} << 28;  // samples x dimension: V alone is 2 GiB as double

}  // namespace

int main(int argc, char** argv) {
  std::string data = "fashion-mnist", data_dir, patch = "full", objective = "frobenius", out = "runs/nmf";
  int rank = 32, samples = 10000, iterations = 200, png_scale = 0;
  uint64_t seed = 1;
  cxxopts::Options options("ml-nmf",
                           "Non-negative matrix factorisation V ~ W H of a data set's training images or patches\n"
                           "(multiplicative updates, Lee & Seung). Writes basis.npy, encodings.npy, objective.csv,\n"
                           "basis.png and nmf.json into --out.");
  // clang-format off
  options.add_options()
    ("data", "data set: fashion-mnist, mnist, cifar10 or image-folder", cxxopts::value(data)->default_value(data))
    ("data-dir", "the data set's directory (default: where Debian's dataset package puts it)", cxxopts::value(data_dir))
    ("rank", "number of parts: 1..1024, and at most the number of samples",
       cxxopts::value(rank)->default_value("32"))
    ("patch", "patch size P (P x P patches at random positions) or 'full' (whole images)",
       cxxopts::value(patch)->default_value(patch))
    ("samples", "random patches, or for --patch full the first N images (0: all); samples x values per "
       "sample at most 2^28",
       cxxopts::value(samples)->default_value("10000"))
    ("iterations", "multiplicative updates", cxxopts::value(iterations)->default_value("200"))
    ("objective", "frobenius or kl", cxxopts::value(objective)->default_value(objective))
    ("seed", "random seed (initial W and H, patch positions)", cxxopts::value(seed)->default_value("1"))
    ("png-scale", "pixels per weight in basis.png (0: about 24 pixels per tile side); the image at most "
       "16384 pixels a side",
       cxxopts::value(png_scale)->default_value("0"))
    ("out", "output directory", cxxopts::value(out)->default_value(out))
    ("h,help", "print this help");
  // clang-format on
  return ml::cli::run("ml-nmf", [&] {
    const auto args = ml::cli::parse(options, argc, argv);
    if (!args) return 0;
    ml::NmfOptions o;
    o.rank = rank;
    o.iterations = iterations;
    o.objective = ml::parse_nmf_objective(objective);
    o.seed = seed;
    if (rank < 1) throw std::invalid_argument("--rank " + std::to_string(rank) + ": must be >= 1");
    if (rank > kMaxRank) {
      throw std::invalid_argument("--rank " + std::to_string(rank) + ": too many parts (at most " +
                                  std::to_string(kMaxRank) + ")");
    }
    if (iterations < 1) throw std::invalid_argument("--iterations " + std::to_string(iterations) + ": must be >= 1");
    if (samples < 0) throw std::invalid_argument("--samples " + std::to_string(samples) + ": must be >= 0");
    if (png_scale < 0) throw std::invalid_argument("--png-scale " + std::to_string(png_scale) + ": must be >= 0");
    int P = 0;
    if (patch != "full") {
      std::istringstream in(patch);
      if (!(in >> P) || !in.eof() || P < 1) throw std::invalid_argument("--patch '" + patch + "': expected a size >= 1 or 'full'");
    }
    if (out.empty()) throw std::invalid_argument("--out: empty output directory");

    const ml::Dataset train = ml::load_dataset(data, data_dir).train;  // pixels in [0, 1]
    if (train.size() == 0) throw std::invalid_argument("--data " + data + ": no training images");
    int n = 0;
    if (patch == "full") {
      P = train.H;
      if (train.H != train.W) throw std::invalid_argument("--patch full: " + data + " images are not square");
      n = samples == 0 ? train.size() : std::min(samples, train.size());
    } else {
      if (samples == 0) throw std::invalid_argument("--samples 0: patches need a count >= 1");
      if (P > train.H || P > train.W) {
        throw std::invalid_argument("--patch " + patch + ": a " + patch + "x" + patch + " patch does not fit " +
                                    std::to_string(train.H) + "x" + std::to_string(train.W) + " images");
      }
      n = samples;
    }
    // Everything sized before the first allocation and the first file: V [D, n],
    // W [D, rank], H [rank, n], basis.png.
    const int D = train.C * P * P;  // P fits the images
    if (int64_t{n} * D > kMaxValues) {
      throw std::invalid_argument("--samples " + std::to_string(samples) + ": " + std::to_string(n) +
                                  " samples of " + std::to_string(D) + " values are " +
                                  std::to_string(int64_t{n} * D) + " values, more than " +
                                  std::to_string(kMaxValues) + " (2^28)");
    }
    if (rank > n) {
      const std::string count = std::to_string(n);
      throw std::invalid_argument("--rank " + std::to_string(rank) + ": more parts than the " + count +
                                  " samples (at most " + count + ": beyond that each sample can be a part of its own)");
    }
    const int scale = png_scale > 0 ? png_scale : std::max(1, 24 / P);
    if (const auto [w, h] = ml::filter_grid_pixels(rank, P, scale); w > ml::kMaxPngSide || h > ml::kMaxPngSide) {
      throw std::invalid_argument((png_scale > 0 ? "--png-scale " + std::to_string(png_scale) : std::string("--rank")) +
                                  ": basis.png would be " + std::to_string(w) + " x " + std::to_string(h) +
                                  " pixels, more than " + std::to_string(ml::kMaxPngSide) + " a side");
    }
    const std::vector<float> x = patch == "full" ? ml::whole_images(train, n) : ml::sample_patches(train, P, n, seed);
    const auto start = std::chrono::steady_clock::now();
    ml::NmfResult r = ml::nmf(ml::samples_as_columns(x, n, D), o);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ml::nmf_normalize(r.W, r.H);

    std::error_code ec;
    std::filesystem::create_directories(out, ec);
    if (ec) throw std::runtime_error("--out '" + out + "': cannot create directory: " + ec.message());
    const std::filesystem::path dir(out);
    std::vector<float> basis(static_cast<size_t>(rank) * D), encodings(static_cast<size_t>(n) * rank);
    for (int a = 0; a < rank; ++a) {
      for (int i = 0; i < D; ++i) basis[static_cast<size_t>(a) * D + i] = static_cast<float>(r.W(i, a));
    }
    for (int j = 0; j < n; ++j) {
      for (int a = 0; a < rank; ++a) encodings[static_cast<size_t>(j) * rank + a] = static_cast<float>(r.H(a, j));
    }
    ml::write_npy((dir / "basis.npy").string(), basis.data(), {rank, train.C, P, P});
    ml::write_npy((dir / "encodings.npy").string(), encodings.data(), {n, rank});
    std::ostringstream csv;
    csv.precision(12);
    csv << "iteration,objective\n";
    for (size_t i = 0; i < r.objective.size(); ++i) csv << i << ',' << r.objective[i] << '\n';
    ml::write_text_atomically((dir / "objective.csv").string(), csv.str());
    ml::write_filter_grid_png((dir / "basis.png").string(), basis, rank, train.C, P, scale);
    const nlohmann::json settings = {{"data", data},         {"data_dir", data_dir},
                                     {"rank", rank},         {"patch", patch},
                                     {"samples", n},         {"dimension", D},
                                     {"iterations", iterations}, {"objective", ml::nmf_objective_name(o.objective)},
                                     {"seed", seed},         {"objective_first", r.objective.front()},
                                     {"objective_last", r.objective.back()}, {"seconds", seconds},
                                     {"input", "training images' pixels in [0, 1], not normalized"}};
    ml::write_text_atomically((dir / "nmf.json").string(), settings.dump(2) + "\n");
    std::fprintf(stderr, "ml-nmf: rank %d, %d samples of %d values, %s objective %.6g -> %.6g in %d iterations, %.1f s\n",
                 rank, n, D, ml::nmf_objective_name(o.objective).c_str(), r.objective.front(), r.objective.back(),
                 iterations, seconds);
    return 0;
  });
}
