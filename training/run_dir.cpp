#include "training/run_dir.h"

#include <cmath>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace ml {

std::string ActsDir::file(const std::string& name) const { return (std::filesystem::path(dir_) / name).string(); }
std::string RunDir::file(const std::string& name) const { return (std::filesystem::path(dir_) / name).string(); }

void RunDir::create() const {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) throw std::runtime_error("--out '" + dir_ + "': cannot create directory: " + ec.message());
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
