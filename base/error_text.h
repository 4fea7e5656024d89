// Text from an input file quoted in an error message (a tensor name, a dtype,
// a JSON fragment) could hold a newline or be megabytes long; the message must
// stay one readable line.
#pragma once
#include <cstdio>
#include <string>

namespace ml {

// s with control characters escaped (\n, \xNN) and cut to about max_chars.
inline std::string printable(const std::string& s, size_t max_chars = 300) {
  std::string out;
  for (unsigned char c : s) {
    if (out.size() >= max_chars) return out + "...";
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace ml
