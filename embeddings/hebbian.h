// Unsupervised competitive Hebbian learning (Krotov & Hopfield 2019, "Unsupervised
// learning by competing hidden units", their reference code's rule). For a
// minibatch of inputs v (D values each), unit mu's input current is
//   I_mu = sum_i sign(W_mu,i) |W_mu,i|^(p-1) v_i,
// the unit with the largest current gets g = 1, the k-th largest g = -delta
// (anti-Hebbian), every other 0, and
//   dW_mu = sum_batch g_mu (v - I_mu W_mu),   W <- W + lr * dW / max|dW|.
// The fixed point of every unit's p-norm ||W_mu||_p is 1 (d||W||^p is
// proportional to g I (1 - ||W||^p)). The weights start normal(0, init_sigma),
// as in their code, so norms start above 1: a unit that wins shrinks towards 1
// and the others, still larger, win in turn. On inputs with a large common
// positive component some units may still never win (HebbianResult::wins).
// Only units that win (g I > 0) are pulled to norm 1.
// lr decays linearly from lr to 0 over the epochs.
#pragma once
#include <cstdint>
#include <vector>

namespace ml {

struct HebbianOptions {
  float p = 3.0f;        // Lebesgue norm of the weights (>= 2)
  float delta = 0.4f;    // strength of the anti-Hebbian push on the k-th unit (>= 0)
  int k = 2;             // rank of the unit that is pushed away (>= 2; <= units)
  int epochs = 10;       // passes over the samples
  int batch = 100;
  float lr = 0.02f;      // initial learning rate
  float init_sigma = 1.0f;  // initial weights normal(0, init_sigma)
};

struct HebbianResult {
  std::vector<float> weights;   // units x D, row-major
  std::vector<double> norms;    // epochs x units: every unit's p-norm after each epoch
  std::vector<int64_t> wins;    // units: how many samples each unit won in the last epoch (0: it never learned then)
};

// Units x D weights learned from n samples (row-major, n x D), deterministic
// from seed (initial weights and the order of the samples in each epoch).
// Throws std::invalid_argument naming the option for a bad value.
HebbianResult krotov_hopfield(const std::vector<float>& samples, int n, int D, int units, const HebbianOptions& o,
                              uint64_t seed);

// sum |w_i|^p ^ (1/p) of one row.
double p_norm(const float* w, int D, double p);

}  // namespace ml
