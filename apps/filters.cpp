// ml-filters: draws a checkpoint's convolution filters as a PNG grid, so
// learned and designed first layers can be looked at side by side.
//
//   ml-filters runs/bp/model.safetensors --layer conv1 --out filters.png
#include <cstdio>
#include <exception>
#include <iostream>

#include <cxxopts.hpp>

#include "apps/cli.h"
#include "engine/checkpoint.h"
#include "study/png_image.h"

int main(int argc, char** argv) {
  std::string checkpoint, layer = "conv1", out;
  int scale = 8;
  cxxopts::Options options("ml-filters",
                           "Draw a checkpoint's convolution filters [K, C, R, R] as a PNG grid: one tile per filter,\n"
                           "each scaled around 0 by its own largest |w| (grey = 0, white > 0, black < 0); 3 input\n"
                           "channels show as colour, others as their mean.");
  // clang-format off
  options.add_options()
    ("checkpoint", "model.safetensors written by ml-train", cxxopts::value(checkpoint))
    ("layer", "the conv layer whose '<layer>.weight' is drawn", cxxopts::value(layer)->default_value(layer))
    ("out", "the PNG file to write", cxxopts::value(out))
    ("scale", "pixels per weight", cxxopts::value(scale)->default_value("8"))
    ("h,help", "print this help");
  // clang-format on
  options.parse_positional({"checkpoint"});
  options.positional_help("CHECKPOINT");
  return ml::cli::run("ml-filters", [&] {
    const auto args = ml::cli::parse(options, argc, argv);
    if (!args) return 0;
    if (checkpoint.empty()) throw std::invalid_argument("no CHECKPOINT given (see --help)");
    if (out.empty()) throw std::invalid_argument("no --out PNG given (see --help)");
    if (scale < 1 || scale > 64) throw std::invalid_argument("--scale " + std::to_string(scale) + ": must be 1..64");
    const ml::Checkpoint ck = ml::load_safetensors(checkpoint);
    // Any non-finite tensor: the file holds no trained weights, whichever layer is drawn.
    ml::require_finite_tensors(ck);
    const std::string name = layer + ".weight";
    const ml::Tensor* w = ck.find(name);
    if (!w) {
      std::string convs;
      for (const auto& t : ck.tensors) {
        if (t.tensor.ndim() == 4) convs += (convs.empty() ? "" : ", ") + t.name.substr(0, t.name.rfind('.'));
      }
      throw std::invalid_argument(checkpoint + ": no tensor '" + name + "' (conv layers here: " +
                                  (convs.empty() ? "none" : convs) + ")");
    }
    if (w->ndim() != 4 || w->dim(2) != w->dim(3)) {
      throw std::invalid_argument(checkpoint + ": '" + name + "' has shape " + ml::shape_str(w->shape()) +
                                  ", not a square conv filter bank [K, C, R, R]");
    }
    ml::write_filter_grid_png(out, w->to_vector(), w->dim(0), w->dim(1), w->dim(2), scale);
    std::fprintf(stderr, "ml-filters: %d filters %dx%dx%d of %s -> %s\n", w->dim(0), w->dim(1), w->dim(2), w->dim(3),
                 name.c_str(), out.c_str());
    return 0;
  });
}
