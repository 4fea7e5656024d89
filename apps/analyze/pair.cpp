#include "apps/analyze/pair.h"

#include <sstream>
#include <stdexcept>

#include "analysis/matrix_io.h"

namespace ml::analyze {

std::pair<Eigen::MatrixXd, Eigen::MatrixXd> load_pair(const std::string& a_path, const std::string& b_path,
                                                      const std::string& what) {
  Eigen::MatrixXd a = ml::load_matrix_npy(a_path), b = ml::load_matrix_npy(b_path);
  require_same_rows(a, a_path, b, b_path);
  if (a.rows() < 3)
    throw std::invalid_argument(a_path + " has " + std::to_string(a.rows()) + " rows: " + what +
                                " needs at least 3 examples");
  return {std::move(a), std::move(b)};
}

std::string pair_csv(const Common& c, const std::string& a_path, const std::string& b_path, const std::string& metric,
                     double value, bool with_note, const std::string& note) {
  std::ostringstream csv;
  csv << "model,layer,model_b,layer_b,metric,value" << (with_note ? ",note" : "") << '\n';
  csv << csv_field(c.model.empty() ? model_of_file(a_path) : c.model) << ','
      << csv_field(c.layer.empty() ? layer_of_file(a_path) : c.layer) << ','
      << csv_field(c.model_b.empty() ? model_of_file(b_path) : c.model_b) << ','
      << csv_field(c.layer_b.empty() ? layer_of_file(b_path) : c.layer_b) << ',' << csv_field(metric) << ','
      << fmt(value);
  if (with_note) csv << ',' << csv_field(note);
  csv << '\n';
  return csv.str();
}

}  // namespace ml::analyze
