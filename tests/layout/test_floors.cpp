// The floors of cmake/floors.txt, checked on the sources: every
// `#include "folder/..."` of a floor's file names its own folder or one below
// it. A failure names the file, the line and the include that goes up or sideways.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace fs = std::filesystem;

namespace {

using FloorTable = std::map<std::string, std::vector<std::string>>;  // folder -> the floors it names

FloorTable parse_floors(std::istream& in) {
  FloorTable table;
  std::string line;
  const std::regex row(R"(^([a-z]+):(.*)$)");
  while (std::getline(in, line)) {
    std::smatch m;
    if (!std::regex_match(line, m, row)) continue;
    std::istringstream below(m[2].str());
    std::vector<std::string> names;
    for (std::string name; below >> name;) names.push_back(name);
    table[m[1].str()] = names;
  }
  return table;
}

// The folders a floor may include: itself and the closure of the floors it names.
std::set<std::string> reachable(const FloorTable& table, const std::string& floor) {
  std::set<std::string> seen{floor};
  std::vector<std::string> todo{floor};
  while (!todo.empty()) {
    std::string f = todo.back();
    todo.pop_back();
    auto it = table.find(f);
    if (it == table.end()) continue;
    for (const auto& b : it->second)
      if (seen.insert(b).second) todo.push_back(b);
  }
  return seen;
}

// One line per include that breaks the table: "file:line: includes X (floor F may include: ...)".
std::vector<std::string> violations(const fs::path& root, const FloorTable& table) {
  std::vector<std::string> bad;
  const std::regex include(R"(^\s*#\s*include\s*"([a-z_]+)/[^"]*")");
  for (const auto& [floor, below] : table) {
    const fs::path dir = root / floor;
    if (!fs::is_directory(dir)) continue;
    const auto allowed = reachable(table, floor);
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      const auto ext = e.path().extension();
      if (e.is_regular_file() && (ext == ".h" || ext == ".cpp" || ext == ".cu" || ext == ".cuh"))
        files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      std::ifstream in(file);
      std::string line;
      for (int number = 1; std::getline(in, line); ++number) {
        std::smatch m;
        if (!std::regex_search(line, m, include)) continue;
        const std::string target = m[1].str();
        if (!table.count(target) || allowed.count(target)) continue;  // not one of ours, or allowed
        std::string may;
        for (const auto& a : allowed) may += (may.empty() ? "" : " ") + a;
        bad.push_back(fs::relative(file, root).string() + ":" + std::to_string(number) + ": includes \"" +
                      target + "/...\" (floor " + floor + " may include: " + may + ")");
      }
    }
  }
  return bad;
}

fs::path source_dir() {
  const char* dir = std::getenv("ML_SOURCE_DIR");
  REQUIRE(dir != nullptr);
  return dir;
}

}  // namespace

TEST_CASE("every include of the sources goes down the floors of cmake/floors.txt") {
  const fs::path root = source_dir();
  std::ifstream in(root / "cmake" / "floors.txt");
  REQUIRE(in.good());
  const FloorTable table = parse_floors(in);
  REQUIRE(table.count("base"));
  REQUIRE(table.at("base").empty());
  REQUIRE(table.count("apps"));
  // every floor the table names below is itself a row, and each row is a folder
  for (const auto& [floor, below] : table) {
    INFO(floor);
    CHECK(fs::is_directory(root / floor));
    for (const auto& b : below) CHECK(table.count(b) == 1);
  }
  const auto bad = violations(root, table);
  for (const auto& v : bad) UNSCOPED_INFO(v);
  CHECK(bad.empty());
}

TEST_CASE("the include check names an upward and a sideways include") {
  const fs::path root = fs::temp_directory_path() / ("ml_floors_" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "base");
  fs::create_directories(root / "kernels");
  fs::create_directories(root / "datasets");
  std::ofstream(root / "base" / "ok.h") << "#pragma once\n#include <vector>\n#include \"base/other.h\"\n";
  std::ofstream(root / "base" / "up.cpp") << "// up\n#include \"kernels/relu.h\"\n";
  std::ofstream(root / "kernels" / "side.cu") << "#include \"base/ok.h\"\n  #include \"datasets/idx.h\"\n";
  std::istringstream text("base:\nkernels: base\ndatasets: base\n");
  const auto bad = violations(root, parse_floors(text));
  fs::remove_all(root);
  REQUIRE(bad.size() == 2);
  CHECK(bad[0].rfind("base/up.cpp:2: includes \"kernels/...\"", 0) == 0);
  CHECK(bad[1].rfind("kernels/side.cu:2: includes \"datasets/...\"", 0) == 0);
}
