// Line charts as SVG text: learning curves and alignment angles in the study
// report. SVG keeps axis labels and legends sharp without a font rasteriser,
// and the HTML report inlines it as is.
#pragma once
#include <string>
#include <vector>

namespace ml {

struct PlotSeries {
  std::string label;
  std::vector<double> x, y;  // equal lengths; non-finite points are skipped
  std::vector<double> low, high;  // optional: a band around the line (its spread), drawn faint, same length as x
};

struct LinePlot {
  std::string title, x_label, y_label;
  std::vector<PlotSeries> series;
  int width = 460, height = 300;
};

// A self-contained <svg> element (no XML prolog), colours from a fixed
// 20-colour palette in series order (no colour repeats below 21 series), legend on the right.
std::string svg_line_plot(const LinePlot& plot);

// The palette's k-th colour as "#rrggbb" (cycles after 20).
const char* palette_color(size_t k);

// &, <, >, " escaped for HTML and SVG text.
std::string html_escape(const std::string& s);

}  // namespace ml

namespace ml {

struct Heatmap {
  std::string title;
  std::vector<std::string> row_labels, col_labels;
  std::vector<double> values;  // rows x cols, row-major; non-finite cells drawn grey
  double vmin = 0, vmax = 1;
  bool show_values = true;     // the number in each cell (for small matrices)
  int cell = 34;               // pixels per cell
};

// Viridis-coloured matrix with labelled rows and columns and a colour bar.
std::string svg_heatmap(const Heatmap& h);

}  // namespace ml
