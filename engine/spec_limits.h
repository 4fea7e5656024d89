// What one --arch token may ask for, checked before its layer allocates
// anything: every real network stays far below these, while a typo such as
// fc99999999 or conv100000k3 gets one line naming the token and the limit
// instead of std::bad_alloc (or a parse error without context).
#pragma once
#include <cstdint>
#include <string>

#include "engine/tensor.h"

namespace ml {

constexpr long kMaxSpecChannels = 65536;                // conv and PCN channels, fc width
constexpr long kMaxSpecWindow = 1024;                   // conv kernel, stride, padding; pool window, stride
constexpr int64_t kMaxLayerParams = int64_t{1} << 28;   // one layer's weights and biases: 1 GiB as float
constexpr int64_t kMaxActivation = int64_t{1} << 24;    // one layer's output for one image: 64 MiB as float

// The value of `digits` (a run of decimal digits, as a spec's regex matched it)
// for the field `what` of `token`; std::invalid_argument
// "'token': what N is too large (at most hi)" (or too small) when outside [lo, hi].
int spec_number(const std::string& token, const std::string& digits, const std::string& what, long lo, long hi);

// std::invalid_argument naming the token when the layer would hold more than
// kMaxLayerParams parameters, or output more than kMaxActivation values per image.
void check_layer_params(const std::string& token, int64_t params);
void check_activation(const std::string& token, const Shape& per_image);

}  // namespace ml
