// What every ml-* program does around its own work: parse the command line
// with cxxopts, print --help, refuse a stray argument, name the flag of a bad
// value, and turn any error into one line "PROGRAM: error: ..." with exit 1.
// Also maps the options a unit declares itself (base/flags.h: a rule's, the
// first-layer embeddings') onto cxxopts.
#pragma once
#include <cstdio>
#include <exception>
#include <functional>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <cxxopts.hpp>

#include "base/flags.h"

namespace ml::cli {

// cxxopts says "Argument 'two' failed to parse" without the flag: find the flag
// that the bad value belongs to.
inline std::string name_bad_value(int argc, const char* const* argv, const std::string& message) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const size_t eq = arg.find('=');
    if (eq != std::string::npos && arg.rfind("--", 0) == 0 &&
        message.find("‘" + arg.substr(eq + 1) + "’") != std::string::npos) {
      return arg.substr(0, eq) + " '" + arg.substr(eq + 1) + "': not a valid value";
    }
    if (i > 1 && std::string(argv[i - 1]).rfind("--", 0) == 0 &&
        message.find("‘" + arg + "’") != std::string::npos) {
      return std::string(argv[i - 1]) + " '" + arg + "': not a valid value";
    }
  }
  return message;
}

// The parse result, or nothing when --help was asked for (the help is then
// printed). Throws std::invalid_argument for a stray argument or a bad value.
inline std::optional<cxxopts::ParseResult> parse(cxxopts::Options& options, int argc, const char* const* argv) {
  try {
    auto args = options.parse(argc, argv);
    if (args.count("help")) {
      std::cout << options.help() << std::endl;
      return std::nullopt;
    }
    if (!args.unmatched().empty()) throw std::invalid_argument("unexpected argument '" + args.unmatched()[0] + "'");
    return args;
  } catch (const cxxopts::exceptions::incorrect_argument_type& e) {
    throw std::invalid_argument(name_bad_value(argc, argv, e.what()));
  }
}

// Runs a program's body: its return value, or 1 after "PROGRAM: error: what" on stderr.
inline int run(const char* program, const std::function<int()>& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: %s\n", program, e.what());
    return 1;
  }
}

// A unit's own flags, as text options in one help group; the unit parses them (base/flags.h).
inline void add_flags(cxxopts::Options& options, const std::string& group, const std::vector<FlagSpec>& flags) {
  auto add = options.add_options(group);
  for (const auto& f : flags) {
    if (f.type == FlagType::Switch) add(f.name, f.help);
    else if (f.default_value.empty()) add(f.name, f.help, cxxopts::value<std::string>());
    else add(f.name, f.help, cxxopts::value<std::string>()->default_value(f.default_value));
  }
}

// The values given on the command line for `flags` (defaults left to the unit).
inline FlagValues given_flags(const cxxopts::ParseResult& args, const std::vector<FlagSpec>& flags) {
  FlagValues given;
  for (const auto& f : flags) {
    if (!args.count(f.name)) continue;
    given.set(f.name, f.type == FlagType::Switch ? "true" : args[f.name].as<std::string>());
  }
  return given;
}

}  // namespace ml::cli
