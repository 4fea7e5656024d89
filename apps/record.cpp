// ml-record: run a trained network over a fixed probe set and write each
// layer's activations as .npy for ml-analyze, numpy or rsatoolbox.
#include <cstdio>
#include <exception>
#include <iostream>

#include <cxxopts.hpp>

#include "apps/cli.h"
#include "training/recorder.h"

int main(int argc, char** argv) {
  ml::RecordConfig c;
  cxxopts::Options options("ml-record",
                           "Record a trained network's activations on a fixed, class-balanced probe set:\n"
                           "writes OUT/<layer>.npy (float32, N x features), labels.npy, indices.npy,\n"
                           "layers.txt and record.json (and probs.npy with --probs).\n\n"
                           "  ml-record runs/bp/model.safetensors --probe 1000 --out acts/bp\n"
                           "  ml-record runs/pcn/model.safetensors --cycles --out runs/pcn/acts\n");
  // clang-format off
  options.add_options()
    ("checkpoint", "model.safetensors written by ml-train", cxxopts::value(c.checkpoint))
    ("data", "data set: fashion-mnist, mnist, cifar10 or image-folder (default: the one the checkpoint was trained on)",
       cxxopts::value(c.data))
    ("data-dir", "the data set's directory (Fashion-MNIST default: where Debian's package puts it)",
       cxxopts::value(c.data_dir))
    ("split", "test or train", cxxopts::value(c.split)->default_value(c.split))
    ("probe", "probe images, class-balanced and chosen by --seed (0: the whole split, in order)",
       cxxopts::value(c.probe)->default_value(std::to_string(c.probe)))
    ("layers", "'all' (every layer but flatten, plus 'input'), 'stages' (what each weight layer receives, and the logits), 'logits' (the last layer alone) or a comma-separated list such as relu1,relu2,fc1",
       cxxopts::value(c.layers)->default_value(c.layers))
    ("seed", "chooses the probe images (the same for every model)", cxxopts::value(c.seed)->default_value("1"))
    ("probs", "also write probs.npy: softmax class probabilities, N x classes (for ml-analyze human)")
    ("cycles", "also the representation over recurrent time, listed in cycle_files.csv (layer,cycle,file): a PCN "
               "block's output after the sweep and each cycle (<block>.cycle<t>.npy), or rule pc's value nodes after "
               "each inference step, the label clamped as in training (<layer>.step<t>.npy)")
    ("cycle-levels", "with --cycles: every level of a PCN block (<block>.r<l>.cycle<t>.npy), not only its output")
    ("batch", "images per forward pass", cxxopts::value(c.batch)->default_value(std::to_string(c.batch)))
    ("device", "cpu, cuda or auto", cxxopts::value(c.device)->default_value(c.device))
    ("out", "output directory", cxxopts::value(c.out)->default_value(c.out))
    ("h,help", "print this help");
  // clang-format on
  options.parse_positional({"checkpoint"});
  options.positional_help("CHECKPOINT");
  return ml::cli::run("ml-record", [&] {
    const auto args = ml::cli::parse(options, argc, argv);
    if (!args) return 0;
    if (c.checkpoint.empty()) throw std::invalid_argument("no CHECKPOINT given (see --help)");
    c.probs = args->count("probs") > 0;
    c.cycles = args->count("cycles") > 0;
    c.cycle_levels = args->count("cycle-levels") > 0;
    ml::record(c);
    return 0;
  });
}
