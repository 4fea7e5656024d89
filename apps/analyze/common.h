// What the ml-analyze subcommands share: the opening of a subcommand's command
// line (open_subcommand), the flags every subcommand has, model and layer names
// from file paths, CSV fields and numbers, the --time laps and the --precision
// choice.
#pragma once
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <Eigen/Dense>
#include <cxxopts.hpp>

#include "training/run_dir.h"

namespace ml::analyze {

// ---- names, files, CSV ---------------------------------------------------------

// The recorder writes RUN/acts/<layer>.npy: the model is the directory above
// "acts" when the file sits in one, else the file's own directory.
std::string model_of_dir(const std::filesystem::path& dir);
std::string model_of_file(const std::string& path);
std::string layer_of_file(const std::string& path);

std::string csv_field(const std::string& s);

// 12 significant digits; "nan" for NaN.
std::string fmt(double v);

// "<out without extension><suffix>", for default names beside --out.
std::string beside(const std::string& out, const std::string& suffix);

// A file of the recording that holds path (labels.npy beside A.npy: &ActsDir::labels), or "" when it does not exist.
std::string recorded_beside(const std::string& path, std::string (ActsDir::*file)() const);

// Throws unless a and b (read from pa and pb) have the same number of rows.
void require_same_rows(const Eigen::MatrixXd& a, const std::string& pa, const Eigen::MatrixXd& b,
                       const std::string& pb);

// An N x N matrix from path; anything else is an error pointing at ml-analyze rdm.
Eigen::MatrixXd load_square(const std::string& path);

// The laps behind --time: "read 0.0012 s, compute 0.0300 s, write 0.0001 s".
class Timer {
 public:
  void lap(const std::string& what);
  std::string report() const;

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
  std::vector<std::pair<std::string, double>> laps_;
};

// ---- the command line ------------------------------------------------------------

// Flags every subcommand has (--out, --model, --layer, --time), and those only some take.
struct Common {
  std::string out, npy, png, model, layer, model_b, layer_b;
  bool time = false;
};

// Which of the optional common flags a subcommand takes.
struct CommonFlags {
  bool pair = false;        // --model-b, --layer-b: there is a second input B
  bool matrix_out = false;  // --npy
  bool picture = false;     // --png
};

void add_common(cxxopts::Options& o, Common& c, const CommonFlags& which);

// A required positional argument: the option it fills (hidden in --help), its
// name in the usage line and in the error when it is missing.
struct Positional {
  std::string option, shown, help;
  std::string* value;
};

struct Subcommand {
  std::string name;  // "rdm"; --help says "ml-analyze rdm"
  std::string description;
  std::vector<Positional> positional;
  CommonFlags common;
};

struct Parsed {
  cxxopts::ParseResult args;
  Common common;
};

// The opening every subcommand shares. Declares sub's positional arguments,
// then its own flags (`own`), then the common ones (the order --help lists
// them in), and parses. Nothing when --help was asked for (the help is then
// printed); throws std::invalid_argument for a stray argument, a bad value or
// a missing positional argument.
std::optional<Parsed> open_subcommand(const Subcommand& sub, int argc, char** argv,
                                      const std::function<void(cxxopts::Options&)>& own);

// --out's file, or standard output.
void emit_csv(const Common& c, const std::string& text);

// given, else OUT's name with suffix when --out is given, else "" (not written).
std::string default_beside_out(const std::string& given, const Common& c, const std::string& suffix);

// A number flag's value, taken as text so that nan, inf and values out of double's
// range are refused here by name (cxxopts would parse "nan" as a number or call
// it a bad value without the flag): throws "FLAG TEXT: must be MUST" unless
// TEXT is a whole finite number v with ok(v).
double number_flag(const std::string& flag, const std::string& text, bool (*ok)(double), const std::string& must);

// ---- precision -------------------------------------------------------------------
// --precision double: every product and sum in double. mixed: the big products
// (N x N grams, D x D feature grams) as float32 GEMMs over blocks of 128 terms,
// each block's sum added in double (analysis/gram.h): about twice as fast, results
// within ~1e-7 (RDM entries) / ~1e-9 (CKA) of double on the benchmarks.
// auto (the default): mixed when the product is large (>= 1e9 multiply-adds,
// where the time matters) and the result is scale-free (correlation/cosine
// RDMs, CKA), double otherwise, so small inputs (tests, class-mean RDMs) get
// the all-double values.

// Adds --precision, filling precision (its value is the default).
void add_precision_flag(cxxopts::Options& o, std::string& precision);

// Whether a product of `work` multiply-adds runs mixed; throws for an unknown name.
bool use_mixed(const std::string& precision, double work, bool scale_free = true);

}  // namespace ml::analyze
