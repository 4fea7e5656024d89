#include "study/report_html.h"

#include <fstream>
#include <stdexcept>

#include "study/svg_plot.h"

namespace ml {

std::string base64(const std::string& bytes) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16 | static_cast<unsigned char>(bytes[i + 1]) << 8 |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += table[v >> 18 & 63], out += table[v >> 12 & 63], out += table[v >> 6 & 63], out += table[v & 63];
  }
  if (i + 1 == bytes.size()) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    out += table[v >> 18 & 63], out += table[v >> 12 & 63], out += "==";
  } else if (i + 2 == bytes.size()) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16 | static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += table[v >> 18 & 63], out += table[v >> 12 & 63], out += table[v >> 6 & 63], out += '=';
  }
  return out;
}

HtmlReport::HtmlReport(const std::string& title) : title_(title) {}

void HtmlReport::heading(const std::string& text, int level) {
  const std::string tag = "h" + std::to_string(level);
  body_ += "<" + tag + ">" + html_escape(text) + "</" + tag + ">\n";
}

void HtmlReport::paragraph(const std::string& html) { body_ += "<p>" + html + "</p>\n"; }

void HtmlReport::note(const std::string& html) { body_ += "<div class=\"note\">" + html + "</div>\n"; }

void HtmlReport::table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  body_ += "<table>\n<tr>";
  for (const auto& h : header) body_ += "<th>" + html_escape(h) + "</th>";
  body_ += "</tr>\n";
  for (const auto& r : rows) {
    body_ += "<tr>";
    for (const auto& cell : r) body_ += "<td>" + html_escape(cell) + "</td>";
    body_ += "</tr>\n";
  }
  body_ += "</table>\n";
}

void HtmlReport::svg(const std::string& svg_text) { body_ += "<figure>" + svg_text + "</figure>\n"; }

void HtmlReport::png_file(const std::string& path, const std::string& caption, int display_width) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error(path + ": cannot open the plot for the report");
  const std::string bytes((std::istreambuf_iterator<char>(f)), {});
  body_ += "<figure><img alt=\"" + html_escape(caption) + "\"";
  if (display_width > 0) body_ += " width=\"" + std::to_string(display_width) + "\"";
  body_ += " src=\"data:image/png;base64," + base64(bytes) + "\"><figcaption>" + html_escape(caption) +
           "</figcaption></figure>\n";
}

void HtmlReport::prepend(const std::string& html) { body_ = html + body_; }

void HtmlReport::begin_row() { body_ += "<div class=\"row\">\n"; }
void HtmlReport::end_row() { body_ += "</div>\n"; }

std::string HtmlReport::html() const {
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + html_escape(title_) +
         "</title>\n<style>\n"
         "body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}\n"
         "table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #ccc;padding:2px 8px;"
         "text-align:right}th{background:#f3f3f3}td:first-child{text-align:left}\n"
         ".note{background:#fff6d6;border:1px solid #e8d48a;padding:.6em 1em;margin:1em 0}\n"
         ".row{display:flex;flex-wrap:wrap;gap:8px}figure{margin:4px}figcaption{font-size:12px;color:#555;"
         "text-align:center}img{image-rendering:pixelated}\n"
         "</style>\n</head>\n<body>\n<h1>" +
         html_escape(title_) + "</h1>\n" + body_ + "</body>\n</html>\n";
}

}  // namespace ml
