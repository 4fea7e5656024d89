#include "engine/spec_limits.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace ml {

int spec_number(const std::string& token, const std::string& digits, const std::string& what, long lo, long hi) {
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) {
    throw std::invalid_argument("'" + token + "': " + what + " '" + digits + "' is not a whole number");
  }
  // digits past the limit saturate: no integer type holds every string a user can type
  long v = 0;
  for (char ch : digits) v = std::min(v * 10 + (ch - '0'), hi + 1);
  const std::string field = "'" + token + "': " + what + " " + digits;
  if (v > hi) throw std::invalid_argument(field + " is too large (at most " + std::to_string(hi) + ")");
  if (v < lo) throw std::invalid_argument(field + " is too small (at least " + std::to_string(lo) + ")");
  return static_cast<int>(v);
}

void check_layer_params(const std::string& token, int64_t params) {
  if (params > kMaxLayerParams) {
    throw std::invalid_argument("'" + token + "': " + std::to_string(params) + " parameters, more than " +
                                std::to_string(kMaxLayerParams) + " (2^28) in one layer");
  }
}

void check_activation(const std::string& token, const Shape& per_image) {
  int64_t n = 1;
  for (int d : per_image) {
    n = d > 0 && n > std::numeric_limits<int64_t>::max() / d ? std::numeric_limits<int64_t>::max() : n * d;
  }
  if (n > kMaxActivation) {
    throw std::invalid_argument("'" + token + "': output " + shape_str(per_image) + " is " + std::to_string(n) +
                                " values per image, more than " + std::to_string(kMaxActivation) + " (2^24)");
  }
}

}  // namespace ml
