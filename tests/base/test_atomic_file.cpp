// write_file_atomically: the new content appears only complete, and every
// failure (a throwing writer, a failed stream, a missing directory, a rename
// that cannot happen) leaves the old file untouched and no temporary behind;
// and a killed writer's temporaries are cleared by the next run.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "base/atomic_file.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace {

fs::path temp_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("ml_test_atomic_file_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void write_plain(const fs::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::binary);
  f << text;
}

// The names in a directory, sorted: shows any temporary file left behind.
std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// The message of the runtime_error that f throws; fails the test if none.
template <class F>
std::string runtime_error_of(F&& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  FAIL("no std::runtime_error was thrown");
  return "";
}

}  // namespace

TEST_CASE("a successful write creates or replaces the file and leaves no temporary", "[atomic_file]") {
  const fs::path dir = temp_dir("ok");
  const std::string path = (dir / "out.bin").string();

  const std::string binary("a\0b\nc\xff", 6);  // NULs and high bytes pass through unchanged
  ml::write_text_atomically(path, binary);
  CHECK(read_file(path) == binary);
  CHECK(listing(dir) == std::vector<std::string>{"out.bin"});

  ml::write_file_atomically(path, [](std::ostream& out) { out << "second " << 42; });
  CHECK(read_file(path) == "second 42");
  CHECK(listing(dir) == std::vector<std::string>{"out.bin"});
  fs::remove_all(dir);
}

TEST_CASE("a writer that throws leaves no file and no temporary behind", "[atomic_file][errors]") {
  const fs::path dir = temp_dir("throw");
  const std::string path = (dir / "out.txt").string();
  const auto throwing = [](std::ostream& out) {
    out << "half of the content";
    throw std::logic_error("writer gave up");
  };

  SECTION("no file before") {
    // The writer's own exception comes through unchanged: it carries the reason.
    CHECK_THROWS_MATCHES(ml::write_file_atomically(path, throwing), std::logic_error,
                         Catch::Matchers::Message("writer gave up"));
    CHECK(listing(dir).empty());
  }
  SECTION("an existing file is left untouched") {
    write_plain(path, "the last good content");
    CHECK_THROWS_AS(ml::write_file_atomically(path, throwing), std::logic_error);
    CHECK(read_file(path) == "the last good content");
    CHECK(listing(dir) == std::vector<std::string>{"out.txt"});
  }
  fs::remove_all(dir);
}

TEST_CASE("a stream that went bad is a one-line error and the old file stays", "[atomic_file][errors]") {
  const fs::path dir = temp_dir("bad_stream");
  const std::string path = (dir / "out.txt").string();
  write_plain(path, "old");

  const std::string msg = runtime_error_of([&] {
    ml::write_file_atomically(path, [](std::ostream& out) {
      out << "partial";
      out.setstate(std::ios::badbit);  // what a failed write (disk full) leaves behind
    });
  });
  CHECK_THAT(msg, Catch::StartsWith(path + ": writing '" + path + ".tmp."));
  CHECK(msg.find('\n') == std::string::npos);
  CHECK(read_file(path) == "old");
  CHECK(listing(dir) == std::vector<std::string>{"out.txt"});
  fs::remove_all(dir);
}

TEST_CASE("a missing directory is a one-line error naming the path and the reason", "[atomic_file][errors]") {
  const fs::path dir = temp_dir("missing_dir");
  const std::string path = (dir / "no_such_dir" / "out.txt").string();
  bool called = false;
  const std::string msg =
      runtime_error_of([&] { ml::write_file_atomically(path, [&](std::ostream&) { called = true; }); });
  CHECK_THAT(msg, Catch::StartsWith(path + ": cannot create temporary file"));
  CHECK_THAT(msg, Catch::EndsWith("No such file or directory"));
  CHECK(msg.find('\n') == std::string::npos);
  CHECK_FALSE(called);
  CHECK(listing(dir).empty());
  fs::remove_all(dir);
}

TEST_CASE("a rename that fails removes the temporary and leaves the target", "[atomic_file][errors]") {
  // Renaming a file over a non-empty directory fails (EISDIR) after the
  // content was written: the last step's failure path.
  const fs::path dir = temp_dir("rename");
  const fs::path target = dir / "target";
  fs::create_directories(target);
  write_plain(target / "inside.txt", "keep me");

  const std::string msg = runtime_error_of([&] { ml::write_text_atomically(target.string(), "new content"); });
  CHECK_THAT(msg, Catch::StartsWith(target.string() + ": cannot rename '" + target.string() + ".tmp."));
  CHECK(msg.find('\n') == std::string::npos);
  CHECK(listing(dir) == std::vector<std::string>{"target"});
  CHECK(read_file(target / "inside.txt") == "keep me");
  fs::remove_all(dir);
}

TEST_CASE("remove_stale_temp_files: a dead writer's temporaries go, everything else stays", "[atomic_file]") {
  const fs::path dir = temp_dir("stale");
  const pid_t child = ::fork();  // a process that has certainly ended
  if (child == 0) ::_exit(0);
  REQUIRE(child > 0);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  const std::string dead = std::to_string(child), alive = std::to_string(::getpid());
  const std::vector<std::string> names{"metrics.csv.tmp." + dead, "model.safetensors.tmp." + dead,
                                       "metrics.csv.tmp." + alive, "notes.tmp.txt", "x.tmp.", "metrics.csv"};
  for (const std::string& name : names) write_plain(dir / name, "x");

  CHECK(ml::remove_stale_temp_files(dir.string()) == 2);
  CHECK(listing(dir) == std::vector<std::string>{"metrics.csv", "metrics.csv.tmp." + alive, "notes.tmp.txt", "x.tmp."});
  CHECK(ml::remove_stale_temp_files((dir / "missing").string()) == 0);
  fs::remove_all(dir);
}
