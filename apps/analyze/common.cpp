#include "apps/analyze/common.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "analysis/matrix_io.h"
#include "apps/cli.h"
#include "base/atomic_file.h"

namespace fs = std::filesystem;

namespace ml::analyze {

std::string model_of_dir(const fs::path& dir) {
  fs::path d = fs::absolute(dir.empty() ? fs::path(".") : dir).lexically_normal();
  if (!d.has_filename()) d = d.parent_path();
  if (d.filename() == ActsDir::kFolderName && d.has_parent_path() && !d.parent_path().filename().empty())
    d = d.parent_path();
  const std::string name = d.filename().string();
  return name.empty() ? "model" : name;
}
std::string model_of_file(const std::string& path) { return model_of_dir(fs::path(path).parent_path()); }
std::string layer_of_file(const std::string& path) { return fs::path(path).stem().string(); }

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string fmt(double v) {
  if (std::isnan(v)) return "nan";
  std::ostringstream o;
  o.precision(12);
  o << v;
  return o.str();
}

std::string beside(const std::string& out, const std::string& suffix) {
  fs::path p(out);
  return (p.parent_path() / p.stem()).string() + suffix;
}

std::string recorded_beside(const std::string& path, std::string (ActsDir::*file)() const) {
  const std::string p = (ActsDir(fs::path(path).parent_path().string()).*file)();
  return fs::exists(p) ? p : "";
}

void require_same_rows(const Eigen::MatrixXd& a, const std::string& pa, const Eigen::MatrixXd& b,
                       const std::string& pb) {
  if (a.rows() != b.rows())
    throw std::invalid_argument(pa + " has " + std::to_string(a.rows()) + " rows but " + pb + " has " +
                                std::to_string(b.rows()) + " (the same examples are needed, in the same order)");
}

Eigen::MatrixXd load_square(const std::string& path) {
  Eigen::MatrixXd m = ml::load_matrix_npy(path);
  if (m.rows() != m.cols())
    throw std::invalid_argument(path + ": " + std::to_string(m.rows()) + " x " + std::to_string(m.cols()) +
                                " is not a square RDM (make one with ml-analyze rdm)");
  return m;
}

void Timer::lap(const std::string& what) {
  const auto now = std::chrono::steady_clock::now();
  laps_.emplace_back(what, std::chrono::duration<double>(now - last_).count());
  last_ = now;
}

std::string Timer::report() const {
  std::ostringstream o;
  o.precision(4);
  for (size_t i = 0; i < laps_.size(); ++i) o << (i ? ", " : "") << laps_[i].first << ' ' << std::fixed << laps_[i].second << " s";
  return o.str();
}

void add_common(cxxopts::Options& o, Common& c, const CommonFlags& which) {
  // clang-format off
  o.add_options()
    ("out", "write the CSV to FILE (default: standard output)", cxxopts::value(c.out))
    ("model", "model name in the CSV (default: the directory holding the file, the one above acts/)",
       cxxopts::value(c.model))
    ("layer", "layer name in the CSV (default: the file name without .npy)", cxxopts::value(c.layer))
    ("time", "print the time spent reading, computing and writing to standard error");
  if (which.pair) o.add_options()
    ("model-b", "B's model name (default: from B's path)", cxxopts::value(c.model_b))
    ("layer-b", "B's layer name (default: from B's path)", cxxopts::value(c.layer_b));
  if (which.matrix_out) o.add_options()
    ("npy", "write the matrix as float64 .npy to FILE (default with --out: OUT's name with .npy)",
       cxxopts::value(c.npy));
  if (which.picture) o.add_options()
    ("png", "write a PNG picture to FILE (default with --out: OUT's name with .png)", cxxopts::value(c.png));
  o.add_options()("h,help", "print this help");
  // clang-format on
}

std::optional<Parsed> open_subcommand(const Subcommand& sub, int argc, char** argv,
                                      const std::function<void(cxxopts::Options&)>& own) {
  Common c;
  cxxopts::Options o("ml-analyze " + sub.name, sub.description);
  std::vector<std::string> options;
  std::string usage;
  for (const auto& p : sub.positional) {
    o.add_options()(p.option, p.help, cxxopts::value(*p.value));
    options.push_back(p.option);
    usage += (usage.empty() ? "" : " ") + p.shown;
  }
  own(o);
  add_common(o, c, sub.common);
  o.parse_positional(options);
  o.positional_help(usage);
  std::optional<cxxopts::ParseResult> args = ml::cli::parse(o, argc, argv);
  if (!args) return std::nullopt;
  c.time = args->count("time") > 0;
  for (const auto& p : sub.positional)
    if (p.value->empty()) throw std::invalid_argument("no " + p.shown + " given (see --help)");
  return Parsed{std::move(*args), std::move(c)};
}

void emit_csv(const Common& c, const std::string& text) {
  if (c.out.empty()) {
    std::cout << text << std::flush;
  } else {
    ml::write_text_atomically(c.out, text);
  }
}

std::string default_beside_out(const std::string& given, const Common& c, const std::string& suffix) {
  if (!given.empty()) return given;
  return c.out.empty() ? "" : beside(c.out, suffix);
}

double number_flag(const std::string& flag, const std::string& text, bool (*ok)(double), const std::string& must) {
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  const bool whole =
      !text.empty() && end == text.c_str() + text.size() && !std::isspace(static_cast<unsigned char>(text[0]));
  if (!whole || errno == ERANGE || !std::isfinite(v) || !ok(v))
    throw std::invalid_argument(flag + " " + text + ": must be " + must);
  return v;
}

namespace {

constexpr double kAutoMixedWork = 1e9;

const char* kPrecisionHelp =
    "auto, double or mixed. double: every product and sum in double. mixed: the large products as float32 "
    "GEMMs over blocks of 128 (features) or 256 (examples) terms, each block summed in double (~1.5-2x faster; "
    "RDM entries within ~1e-7, CKA within ~1e-8 of double). auto: mixed when the product is >= 1e9 multiply-adds (and, for rdm, the distance "
    "is correlation or cosine), else double";

}  // namespace

void add_precision_flag(cxxopts::Options& o, std::string& precision) {
  o.add_options()("precision", kPrecisionHelp, cxxopts::value(precision)->default_value(precision));
}

bool use_mixed(const std::string& precision, double work, bool scale_free) {
  if (precision == "double") return false;
  if (precision == "mixed") return true;
  if (precision == "auto") return scale_free && work >= kAutoMixedWork;
  throw std::invalid_argument("--precision '" + precision + "': expected auto, double or mixed");
}

}  // namespace ml::analyze
