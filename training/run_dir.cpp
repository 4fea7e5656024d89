#include "training/run_dir.h"

#include <cmath>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace ml {

std::string ActsDir::file(const std::string& name) const { return (std::filesystem::path(dir_) / name).string(); }
std::string ActsDir::at_time(const std::string& layer, const std::string& unit, int t, int last) {
  const std::string digits = std::to_string(t);
  const size_t width = std::to_string(last).size();
  return layer + "." + unit + std::string(width > digits.size() ? width - digits.size() : 0, '0') + digits;
}

std::string RunDir::file(const std::string& name) const { return (std::filesystem::path(dir_) / name).string(); }

void RunDir::create() const {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) throw std::runtime_error("--out '" + dir_ + "': cannot create directory: " + ec.message());
}

std::vector<std::string> RunDir::outputs() const {
  namespace fs = std::filesystem;
  const std::vector<std::string> named = {config(), model(), model_best(), train_state(), val_indices(), done()};
  const std::vector<std::string> folders = {file("snapshots"), acts().dir(), file("snapshot_acts"),
                                            test_set_acts().dir()};
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& path : named)
    if (fs::exists(path, ec)) found.push_back(fs::path(path).filename().string());
  for (const auto& path : folders)
    if (fs::is_directory(path, ec)) found.push_back(fs::path(path).filename().string() + "/");
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".csv" && it->is_regular_file(ec)) found.push_back(it->path().filename().string());
  }
  return found;
}

void RunDir::remove_outputs() const {
  namespace fs = std::filesystem;
  for (std::string name : outputs()) {
    if (name.back() == '/') name.pop_back();
    std::error_code ec;
    fs::remove_all(fs::path(dir_) / name, ec);
    if (ec) throw std::runtime_error("--overwrite: cannot remove " + file(name) + ": " + ec.message());
  }
}

std::string metrics_csv(const std::vector<EpochMetrics>& rows) {
  std::ostringstream out;
  out.precision(9);
  out << kMetricsHeader << '\n';
  for (const auto& m : rows) {
    out << m.epoch << ',' << m.train_loss << ',' << m.train_acc << ',' << m.test_loss << ',' << m.test_acc << ','
        << m.seconds << ',' << m.samples_per_s << ',';
    if (std::isnan(m.val_acc)) out << ",\n";
    else out << m.val_loss << ',' << m.val_acc << '\n';
  }
  return out.str();
}

std::string snapshots_csv(const std::vector<SnapshotRow>& rows) {
  std::ostringstream out;
  out.precision(9);
  out << "epoch,at_epoch,at_batch,val_loss,val_acc\n";
  for (const auto& s : rows) {
    out << s.label << ',' << s.epoch << ',' << s.batch << ',';
    if (std::isnan(s.val_acc)) out << ",\n";
    else out << s.val_loss << ',' << s.val_acc << '\n';
  }
  return out.str();
}

}  // namespace ml
