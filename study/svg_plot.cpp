#include "study/svg_plot.h"

#include "analysis/heatmap_png.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace ml {

const char* palette_color(size_t k) {
  // Tableau's 10, then 10 more of other hues and lightness, distinct from them and from each other.
  static const char* colors[20] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                                   "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39",
                                   "#7b4173", "#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363"};
  return colors[k % 20];
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += ch;
    }
  }
  return out;
}

namespace {

// 4-6 round tick values covering [lo, hi].
std::vector<double> ticks(double lo, double hi) {
  const double span = hi - lo;
  const double raw = span / 5;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    step = m * mag;
    if (span / step <= 6) break;
  }
  std::vector<double> t;
  for (double v = std::ceil(lo / step) * step; v <= hi + 1e-9 * span; v += step) t.push_back(std::fabs(v) < 1e-12 ? 0 : v);
  return t;
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

std::string svg_line_plot(const LinePlot& p) {
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (const auto& s : p.series) {
    for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      x0 = std::min(x0, s.x[i]), x1 = std::max(x1, s.x[i]);
      y0 = std::min(y0, s.y[i]), y1 = std::max(y1, s.y[i]);
      if (s.low.size() == s.x.size() && std::isfinite(s.low[i])) y0 = std::min(y0, s.low[i]);
      if (s.high.size() == s.x.size() && std::isfinite(s.high[i])) y1 = std::max(y1, s.high[i]);
    }
  }
  if (!(x0 <= x1)) x0 = 0, x1 = 1, y0 = 0, y1 = 1;  // nothing to draw: empty axes
  if (x1 - x0 < 1e-12) x0 -= 0.5, x1 += 0.5;
  if (y1 - y0 < 1e-12) y0 -= 0.5, y1 += 0.5;
  const double pad = 0.04 * (y1 - y0);
  y0 -= pad, y1 += pad;

  const int left = 52, right = 120, top = 26, bottom = 40;
  const double pw = p.width - left - right, ph = p.height - top - bottom;
  auto sx = [&](double x) { return left + (x - x0) / (x1 - x0) * pw; };
  auto sy = [&](double y) { return top + (y1 - y) / (y1 - y0) * ph; };

  std::ostringstream o;
  o.precision(5);
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << p.width << "\" height=\"" << p.height
    << "\" viewBox=\"0 0 " << p.width << ' ' << p.height << "\" font-family=\"sans-serif\" font-size=\"11\">\n";
  o << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  o << "<text x=\"" << p.width / 2 << "\" y=\"16\" text-anchor=\"middle\" font-size=\"13\">" << html_escape(p.title)
    << "</text>\n";
  for (double t : ticks(y0, y1)) {
    o << "<line x1=\"" << left << "\" x2=\"" << left + pw << "\" y1=\"" << sy(t) << "\" y2=\"" << sy(t)
      << "\" stroke=\"#e5e5e5\"/>";
    o << "<text x=\"" << left - 4 << "\" y=\"" << sy(t) + 4 << "\" text-anchor=\"end\">" << num(t) << "</text>\n";
  }
  for (double t : ticks(x0, x1)) {
    o << "<line x1=\"" << sx(t) << "\" x2=\"" << sx(t) << "\" y1=\"" << top + ph << "\" y2=\"" << top + ph + 4
      << "\" stroke=\"black\"/>";
    o << "<text x=\"" << sx(t) << "\" y=\"" << top + ph + 16 << "\" text-anchor=\"middle\">" << num(t)
      << "</text>\n";
  }
  o << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << pw << "\" height=\"" << ph
    << "\" fill=\"none\" stroke=\"black\"/>\n";
  o << "<text x=\"" << left + pw / 2 << "\" y=\"" << p.height - 6 << "\" text-anchor=\"middle\">"
    << html_escape(p.x_label) << "</text>\n";
  o << "<text transform=\"translate(12," << top + ph / 2 << ") rotate(-90)\" text-anchor=\"middle\">"
    << html_escape(p.y_label) << "</text>\n";
  for (size_t k = 0; k < p.series.size(); ++k) {  // bands first, under every line
    const auto& s = p.series[k];
    if (s.low.size() != s.x.size() || s.high.size() != s.x.size()) continue;
    std::ostringstream band;
    band.precision(5);
    size_t n = 0;
    for (size_t i = 0; i < s.x.size(); ++i)
      if (std::isfinite(s.x[i]) && std::isfinite(s.high[i])) band << sx(s.x[i]) << ',' << sy(std::clamp(s.high[i], y0, y1)) << ' ', ++n;
    for (size_t i = s.x.size(); i-- > 0;)
      if (std::isfinite(s.x[i]) && std::isfinite(s.low[i])) band << sx(s.x[i]) << ',' << sy(std::clamp(s.low[i], y0, y1)) << ' ', ++n;
    if (n > 2)
      o << "<polygon fill=\"" << palette_color(k) << "\" fill-opacity=\"0.18\" stroke=\"none\" points=\"" << band.str()
        << "\"/>\n";
  }
  for (size_t k = 0; k < p.series.size(); ++k) {
    const auto& s = p.series[k];
    std::ostringstream pts;
    pts.precision(5);
    size_t n = 0;
    for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      pts << sx(s.x[i]) << ',' << sy(std::clamp(s.y[i], y0, y1)) << ' ';
      ++n;
    }
    if (n == 1) {
      o << "<circle r=\"2.5\" fill=\"" << palette_color(k) << "\" cx=\"" << sx(s.x[0]) << "\" cy=\"" << sy(s.y[0])
        << "\"/>\n";
    } else if (n > 1) {
      o << "<polyline fill=\"none\" stroke-width=\"1.6\" stroke=\"" << palette_color(k) << "\" points=\""
        << pts.str() << "\"/>\n";
    }
    const double ly = top + 8 + 15.0 * static_cast<double>(k);
    o << "<line x1=\"" << left + pw + 8 << "\" x2=\"" << left + pw + 24 << "\" y1=\"" << ly << "\" y2=\"" << ly
      << "\" stroke-width=\"2\" stroke=\"" << palette_color(k) << "\"/><text x=\"" << left + pw + 28 << "\" y=\""
      << ly + 4 << "\">" << html_escape(s.label) << "</text>\n";
  }
  o << "</svg>\n";
  return o.str();
}

}  // namespace ml

namespace ml {

std::string svg_heatmap(const Heatmap& h) {
  const size_t rows = h.row_labels.size(), cols = h.col_labels.size();
  size_t longest = 0;
  for (const auto& l : h.row_labels) longest = std::max(longest, l.size());
  size_t longest_col = 0;
  for (const auto& l : h.col_labels) longest_col = std::max(longest_col, l.size());
  const int left = 10 + static_cast<int>(longest) * 7, top = 30 + static_cast<int>(longest_col) * 6;
  const int width = left + static_cast<int>(cols) * h.cell + 70, height = top + static_cast<int>(rows) * h.cell + 12;
  std::ostringstream o;
  o.precision(4);
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height << "\" viewBox=\"0 0 "
    << width << ' ' << height << "\" font-family=\"sans-serif\" font-size=\"11\">\n";
  o << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  o << "<text x=\"" << left << "\" y=\"16\" font-size=\"13\">" << html_escape(h.title) << "</text>\n";
  const double span = h.vmax - h.vmin > 0 ? h.vmax - h.vmin : 1;
  for (size_t r = 0; r < rows; ++r) {
    o << "<text x=\"" << left - 4 << "\" y=\"" << top + static_cast<int>(r) * h.cell + h.cell / 2 + 4
      << "\" text-anchor=\"end\">" << html_escape(h.row_labels[r]) << "</text>\n";
    for (size_t c = 0; c < cols; ++c) {
      const double v = h.values[r * cols + c];
      unsigned char rgb[3] = {200, 200, 200};
      if (std::isfinite(v)) viridis_rgb((v - h.vmin) / span, rgb);
      const int x = left + static_cast<int>(c) * h.cell, y = top + static_cast<int>(r) * h.cell;
      char color[8];
      std::snprintf(color, sizeof color, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
      o << "<rect x=\"" << x << "\" y=\"" << y << "\" width=\"" << h.cell << "\" height=\"" << h.cell
        << "\" fill=\"" << color << "\"><title>" << html_escape(h.row_labels[r]) << " / "
        << html_escape(h.col_labels[c]) << ": " << v << "</title></rect>";
      if (h.show_values && std::isfinite(v)) {
        const bool dark = (std::isfinite(v) ? (v - h.vmin) / span : 0) < 0.6;
        char text[16];
        std::snprintf(text, sizeof text, "%.2f", v);
        o << "<text x=\"" << x + h.cell / 2 << "\" y=\"" << y + h.cell / 2 + 4 << "\" text-anchor=\"middle\" "
          << "font-size=\"10\" fill=\"" << (dark ? "white" : "black") << "\">" << text << "</text>";
      }
      o << '\n';
    }
  }
  for (size_t c = 0; c < cols; ++c) {
    const int x = left + static_cast<int>(c) * h.cell + h.cell / 2 + 4;
    o << "<text transform=\"translate(" << x << ',' << top - 4 << ") rotate(-60)\">" << html_escape(h.col_labels[c])
      << "</text>\n";
  }
  const int bar_x = left + static_cast<int>(cols) * h.cell + 12, bar_h = static_cast<int>(rows) * h.cell;
  for (int k = 0; k < 20; ++k) {
    unsigned char rgb[3];
    viridis_rgb(1.0 - (k + 0.5) / 20.0, rgb);
    char color[8];
    std::snprintf(color, sizeof color, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
    o << "<rect x=\"" << bar_x << "\" y=\"" << top + bar_h * k / 20.0 << "\" width=\"10\" height=\""
      << bar_h / 20.0 + 0.5 << "\" fill=\"" << color << "\"/>";
  }
  o << "\n<text x=\"" << bar_x + 14 << "\" y=\"" << top + 8 << "\">" << num(h.vmax) << "</text><text x=\""
    << bar_x + 14 << "\" y=\"" << top + bar_h << "\">" << num(h.vmin) << "</text>\n</svg>\n";
  return o.str();
}

}  // namespace ml
