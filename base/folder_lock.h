// A process's claim on an output folder: while it lives, a second claim on the
// same folder (another ml-train with the same --out) fails and names the
// holder's pid. flock(2) on a file in the folder, so the kernel releases it when
// the holder exits in any way (SIGKILL, a crash): no stale lock to clean up.
#pragma once
#include <string>

namespace ml {

class FolderLock {
 public:
  // Locks dir/lock_name (created if missing; dir must exist). Throws std::runtime_error
  // "<what>: <dir> is in use by another process (pid N)" when another process holds it,
  // or naming the file when it cannot be opened.
  FolderLock(const std::string& dir, const std::string& lock_name, const std::string& what);
  ~FolderLock();
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace ml
