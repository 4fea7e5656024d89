#include "base/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace ml {

namespace {

// errno right after a failed call, or a fallback: std::ostream does not
// promise to set errno (a writer may also have set failbit itself).
std::string reason(int err, const char* fallback) { return err ? std::strerror(err) : fallback; }

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

// fsync through a fresh descriptor: std::ofstream does not expose its own.
// Without it a power loss after the rename can leave an empty file where the
// last good checkpoint was (the rename may reach the disk before the data).
int sync_file(const std::string& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  const int err = ::fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  return err;
}

// Makes the rename itself durable. Best effort: some file systems refuse to
// fsync a directory, and the new file is already complete either way.
void sync_directory_of(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const std::string dir = parent.empty() ? std::string(".") : parent.string();
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

// Removes the temporary file on every exit except a successful rename.
struct TempFileGuard {
  std::string name;
  bool keep = false;
  ~TempFileGuard() {
    if (!keep) std::remove(name.c_str());
  }
};

}  // namespace

void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& writer) {
  TempFileGuard temp{path + ".tmp." + std::to_string(::getpid())};
  {
    // errno is read right after each call, before building a message can change it.
    errno = 0;
    std::ofstream out(temp.name, std::ios::binary | std::ios::trunc);
    if (!out) {
      const int err = errno;
      fail(path, "cannot create temporary file '" + temp.name + "': " + reason(err, "open failed"));
    }
    errno = 0;    // so that a write failing inside writer leaves its own errno
    writer(out);  // an exception leaves through the guard, which removes the temporary file
    if (out.good()) {
      errno = 0;
      out.flush();
    }
    if (!out.good()) {
      const int err = errno;
      fail(path, "writing '" + temp.name + "' failed: " + reason(err, "the stream reported an error"));
    }
    errno = 0;
    out.close();
    if (out.fail()) {
      const int err = errno;
      fail(path, "closing '" + temp.name + "' failed: " + reason(err, "close failed"));
    }
  }
  commit_file_atomically(temp.name, path);
  temp.keep = true;
}

void commit_file_atomically(const std::string& temp, const std::string& path) {
  if (const int err = sync_file(temp)) fail(path, "syncing '" + temp + "' failed: " + std::strerror(err));
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    fail(path, "cannot rename '" + temp + "' over it: " + reason(err, "rename failed"));
  }
  sync_directory_of(path);
}

void write_text_atomically(const std::string& path, const std::string& text) {
  write_file_atomically(path,
                        [&](std::ostream& out) { out.write(text.data(), static_cast<std::streamsize>(text.size())); });
}

int remove_stale_temp_files(const std::string& dir) {
  std::error_code ec;
  int removed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    const size_t at = name.rfind(".tmp.");
    if (at == std::string::npos || at + 5 == name.size()) continue;
    const std::string digits = name.substr(at + 5);
    if (digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(digits));
    // ESRCH: no such process. EPERM means it runs under another user: leave it.
    if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH && std::filesystem::remove(entry.path(), ec)) ++removed;
  }
  return removed;
}

}  // namespace ml
