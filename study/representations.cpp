#include "study/representations.h"

namespace ml {

void representation_sections(HtmlReport& report, const std::vector<RunData>&, const std::string&) {
  report.heading("Representations");
}

}  // namespace ml
