#include "study/done_marker.h"

#include <algorithm>
#include <cstdint>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <utility>
#include <vector>

#include "base/atomic_file.h"
#include "base/file_bytes.h"
#include "study/json_config.h"
#include "study/run_data.h"

namespace ml {

namespace fs = std::filesystem;

namespace {

constexpr const char* kStoppedEarly = "stopped-early";

// The files a finished run vouches for, as (name in the run folder, path).
std::vector<std::pair<std::string, std::string>> vouched_files(const RunDir& run) {
  auto name = [](const std::string& path) { return fs::path(path).filename().string(); };
  std::vector<std::pair<std::string, std::string>> files;
  for (const std::string& path : {run.config(), run.metrics(), run.model()}) files.emplace_back(name(path), path);
  std::error_code ec;
  if (fs::exists(run.model_best(), ec)) files.emplace_back(name(run.model_best()), run.model_best());
  std::vector<std::string> acts;
  for (fs::directory_iterator it(run.acts().dir(), ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file(ec)) acts.push_back(it->path().filename().string());
  std::sort(acts.begin(), acts.end());  // the marker's order does not depend on the directory's
  const std::string acts_name = name(run.acts().dir());
  for (const auto& a : acts) files.emplace_back(acts_name + "/" + a, (fs::path(run.acts().dir()) / a).string());
  return files;
}

std::string hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// "" when config.json's planned epochs are metrics.csv's last epoch row, else why not.
std::string epochs_disagree(const RunDir& run) {
  const int planned = parse_run_config(read_file_bytes(run.config()), run.config()).epochs_planned;
  const auto rows = read_csv(run.metrics());
  int last = 0;
  if (rows.size() > 1 && !rows.back().empty()) {
    try {
      last = std::stoi(rows.back()[0]);
    } catch (const std::exception&) {
      return run.metrics() + ": last row's epoch '" + rows.back()[0] + "' is not a number";
    }
  }
  if (last == planned) return "";
  return run.config() + " plans " + std::to_string(planned) + " epochs but " + run.metrics() + " ends at epoch " +
         std::to_string(last);
}

// FNV-1a 64 of the file's bytes, and its size. Throws std::runtime_error naming the file.
uint64_t file_fnv1a64(const std::string& path, uint64_t* size) {
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  if (!in || fs::is_directory(path, ec))
    throw std::runtime_error(path + ": cannot open (" + (errno ? std::strerror(errno) : "open failed") + ")");
  uint64_t h = 0xcbf29ce484222325ull, n = 0;  // the FNV-1a 64 offset basis and prime
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto got = static_cast<size_t>(in.gcount());
    for (size_t i = 0; i < got; ++i) h = (h ^ static_cast<unsigned char>(buf[i])) * 0x100000001b3ull;
    n += got;
  }
  if (in.bad()) throw std::runtime_error(path + ": read failed");
  if (size) *size = n;
  return h;
}

}  // namespace

void write_done_marker(const RunDir& run, const std::string& key, bool stopped_early) {
  if (!stopped_early) {
    if (const std::string why = epochs_disagree(run); !why.empty()) throw std::runtime_error(why);
  }
  std::string text = key + "\n";
  for (const auto& [name, path] : vouched_files(run)) {
    uint64_t size = 0;
    const uint64_t h = file_fnv1a64(path, &size);
    text += hex(h) + " " + std::to_string(size) + " " + name + "\n";
  }
  if (stopped_early) text += std::string(kStoppedEarly) + "\n";
  write_text_atomically(run.done(), text);
}

DoneCheck check_done_marker(const RunDir& run, const std::string& key) {
  std::ifstream f(run.done(), std::ios::binary);
  if (!f) return {DoneState::Missing, ""};
  std::string first;
  if (!std::getline(f, first) || first != key) return {DoneState::OtherJob, ""};
  bool vouches = false, stopped_early = false;
  for (std::string line; std::getline(f, line);) {
    if (line.empty()) continue;
    if (line == kStoppedEarly) {
      stopped_early = true;
      continue;
    }
    std::istringstream in(line);
    std::string want_hash, name;
    uint64_t want_size = 0;
    if (!(in >> want_hash >> want_size) || !std::getline(in >> std::ws, name) || name.empty())
      return {DoneState::Changed, run.done() + ": unreadable line '" + line + "'"};
    vouches = true;
    const std::string path = (fs::path(run.dir()) / name).string();
    std::error_code ec;
    if (!fs::is_regular_file(path, ec))
      return {DoneState::Changed, path + " is missing (the run's done marker vouches for it)"};
    uint64_t size = 0;
    uint64_t h = 0;
    try {
      h = file_fnv1a64(path, &size);
    } catch (const std::exception& e) {
      return {DoneState::Changed, e.what()};
    }
    if (size != want_size || hex(h) != want_hash)
      return {DoneState::Changed, path + " changed after the run finished (size or checksum differs from its done marker)"};
  }
  if (vouches && !stopped_early) {
    try {
      if (std::string why = epochs_disagree(run); !why.empty()) return {DoneState::Changed, why};
    } catch (const std::exception& e) {
      return {DoneState::Changed, e.what()};
    }
  }
  return {DoneState::Done, ""};
}

}  // namespace ml
