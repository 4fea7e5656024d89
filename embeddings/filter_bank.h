// Designed first-layer filters in closed form: a Gabor bank (V1 simple cells)
// and centre-surround differences of Gaussians (retinal ganglion / LGN cells),
// plus the rescaling every fixed conv1 bank goes through.
//
// Coordinates: a filter is R x R with pixel (row i, column j) at
// x = j - (R - 1) / 2 (right), y = i - (R - 1) / 2 (down), so the centre is 0.
// Banks are [K, C, R, R] (PyTorch layout); the spatial filter is the same in
// every input channel (it sees luminance-like structure, not colour).
#pragma once
#include <vector>

namespace ml {

// g(x, y) = exp(-(x'^2 + gamma^2 y'^2) / (2 sigma^2)) * cos(2 pi x' / wavelength + phase),
// x' = x cos(theta) + y sin(theta), y' = -x sin(theta) + y cos(theta).
// No DC removal: the even filters keep their (small) mean, as the closed form has it.
struct GaborOptions {
  int orientations = 8;            // theta_o = o * pi / orientations
  int phases = 2;                  // phase_p = p * pi / 2, p < phases (1..4): 2 = even + odd (a quadrature pair)
  std::vector<float> wavelengths;  // pixels; empty: enough of them to fill K channels, geometric in
                                   //   [2.5, max(2.5, 1.5 R)] (one: their geometric mean)
  float sigma_ratio = 0.56f;       // sigma = sigma_ratio * wavelength (0.56: about one octave of bandwidth)
  float gamma = 1.0f;              // aspect ratio of the envelope (1: round)
};

struct GaborChannel {
  double theta, wavelength, phase, sigma, gamma;
};

// What channel k of a K-channel bank holds: phase fastest, then orientation,
// then wavelength; when K exceeds the combinations the list repeats from the
// start, when it is smaller the last ones are left out. Throws
// std::invalid_argument naming the option for a bad value.
std::vector<GaborChannel> gabor_layout(int K, int R, const GaborOptions& o);
std::vector<float> gabor_bank(int K, int C, int R, const GaborOptions& o);

// d(x, y) = s * (exp(-r^2 / (2 sc^2)) / Zc - exp(-r^2 / (2 ss^2)) / Zs), r^2 = x^2 + y^2,
// where Z is each Gaussian's sum over the R x R grid (so both parts sum to 1
// on the grid and d sums to 0 up to rounding), ss = ratio * sc, s = +1 (on
// centre) or -1 (off centre).
struct DogOptions {
  int scales = 0;          // centre sigmas; 0: max(1, K / 2), so on and off at each scale fill the channels
  float sigma_min = 0.5f;  // smallest centre sigma (pixels)
  float sigma_max = 0.0f;  // largest centre sigma; 0: max(sigma_min, R / 3); geometric in between
  float ratio = 2.0f;      // surround sigma / centre sigma (> 1)
};

struct DogChannel {
  double sigma_center, sigma_surround, sign;
};

// Channel k: scale (k / 2) mod scales, on centre for even k, off for odd k.
std::vector<DogChannel> dog_layout(int K, int R, const DogOptions& o);
std::vector<float> dog_bank(int K, int C, int R, const DogOptions& o);

// The L2 norm of one filter [C, R, R] under the default init (uniform in
// +-1/sqrt(fan_in)): E||w||^2 = fan_in * (1 / fan_in) / 3 = 1/3, whatever the
// fan-in, so 1/sqrt(3).
constexpr double kDefaultFilterNorm = 0.57735026918962576;

// Each of the K filters (consecutive blocks of weights.size() / K values)
// scaled to L2 norm `norm`; an all-zero filter stays zero.
void scale_filters(std::vector<float>& weights, int K, double norm = kDefaultFilterNorm);

}  // namespace ml
