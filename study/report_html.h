// The study report as one self-contained HTML file: sections of text, tables,
// inline SVG and PNGs inlined as data: URIs, so it can be mailed or archived
// as a single file.
#pragma once
#include <string>
#include <vector>

namespace ml {

class HtmlReport {
 public:
  explicit HtmlReport(const std::string& title);
  void heading(const std::string& text, int level = 2);
  void paragraph(const std::string& html);  // trusted HTML (our own text)
  void note(const std::string& html);       // a highlighted box
  void table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);
  void svg(const std::string& svg_text);
  void png_file(const std::string& path, const std::string& caption, int display_width = 0);
  void prepend(const std::string& html);  // before everything added so far
  void begin_row();  // figures side by side until end_row()
  void end_row();
  std::string html() const;

 private:
  std::string title_, body_;
};

std::string base64(const std::string& bytes);

// The representation sections (study/report_representations.cpp): headings,
// heatmaps, MDS plots, the participation-ratio table and the PNGs already written.
struct RepresentationComparison;
void render_representations(HtmlReport& report, const RepresentationComparison& c);

}  // namespace ml
