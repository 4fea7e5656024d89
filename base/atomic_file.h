// Writing a file so that readers see either the old complete file or the new
// complete file, never a half-written one: checkpoints, metrics and configs
// are rewritten every epoch, and a crash or a full disk mid-write must not
// destroy the last good copy.
#pragma once
#include <functional>
#include <ostream>
#include <string>

namespace ml {

// Writes "<path>.tmp.<pid>" (same directory, so the rename is atomic) through
// writer, flushes it to disk, and renames it over path only when the writer
// returned and the stream is still good. On any failure the temporary file is
// removed and path is left as it was. I/O failures throw std::runtime_error
// with one line naming path and the reason (strerror); an exception thrown by
// writer itself is passed on unchanged (it carries the writer's own reason).
void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& writer);

// The last step of write_file_atomically, for a file written in pieces under
// a temporary name in path's directory and already closed: flushes temp to
// disk and renames it over path. Throws std::runtime_error naming path; on
// failure temp stays for the caller to remove.
void commit_file_atomically(const std::string& temp, const std::string& path);

// Removes the "<name>.tmp.<pid>" files in dir whose process no longer runs: a
// writer killed mid-write (SIGKILL, power loss) leaves its temporary behind.
// Files of live processes, and every other name, are left alone. Returns how
// many were removed; a missing dir removes none.
int remove_stale_temp_files(const std::string& dir);

// write_file_atomically with a writer that writes text as is.
void write_text_atomically(const std::string& path, const std::string& text);

}  // namespace ml
