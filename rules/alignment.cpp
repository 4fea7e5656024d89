#include "rules/alignment.h"

#include <sstream>

namespace ml {

std::string AlignmentLog::csv() const {
  std::ostringstream out;
  out.precision(9);
  out << "epoch,batch,layer,metric,value\n";
  for (const auto& r : rows_) out << r.epoch << ',' << r.batch << ',' << r.layer << ',' << r.metric << ',' << r.value << '\n';
  return out.str();
}

}  // namespace ml
