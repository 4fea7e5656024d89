// Non-negative matrix factorisation V ~ W H (Lee & Seung 1999, 2001) by
// multiplicative updates, Frobenius or generalised Kullback-Leibler objective:
//   Frobenius: H <- H * (W^T V) / (W^T W H),   W <- W * (V H^T) / (W H H^T)
//   KL:        H_aj <- H_aj * sum_i W_ia V_ij / (WH)_ij / sum_i W_ia
//              W_ia <- W_ia * sum_j H_aj V_ij / (WH)_ij / sum_j H_aj
// with a tiny epsilon added to every denominator (and to WH inside the KL
// ratio). Both objectives are non-increasing under these updates.
// Columns of V are samples (patches or images), rows are pixels; the columns
// of W are the parts (basis), H holds each sample's encoding.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Dense>

namespace ml {

enum class NmfObjective { Frobenius, KL };

// "frobenius" | "kl", else std::invalid_argument naming --nmf-objective.
NmfObjective parse_nmf_objective(const std::string& name);
std::string nmf_objective_name(NmfObjective o);

struct NmfOptions {
  int rank = 32;
  int iterations = 200;
  NmfObjective objective = NmfObjective::Frobenius;
  uint64_t seed = 1;
  double epsilon = 1e-12;
};

struct NmfResult {
  Eigen::MatrixXd W;               // D x rank
  Eigen::MatrixXd H;               // rank x N
  std::vector<double> objective;   // iterations + 1 values: before the first update, then after each
};

// Frobenius: 1/2 ||V - WH||_F^2. KL: sum V log(V / WH) - V + WH (0 log 0 = 0).
double nmf_objective(const Eigen::MatrixXd& V, const Eigen::MatrixXd& W, const Eigen::MatrixXd& H, NmfObjective o);

// The initial W and H: uniform in [0, 1) times sqrt(mean(V) / rank)
// (scikit-learn's random init scale), deterministic from seed.
void nmf_init(const Eigen::MatrixXd& V, int rank, uint64_t seed, Eigen::MatrixXd& W, Eigen::MatrixXd& H);

// Runs the updates from nmf_init. Throws std::invalid_argument for a negative
// or non-finite entry of V (naming its row and column), rank < 1 or
// iterations < 0.
NmfResult nmf(const Eigen::MatrixXd& V, const NmfOptions& o);

// Rescales so that every column of W has unit L2 norm (H's rows take the
// factor; WH is unchanged). An all-zero column stays zero.
void nmf_normalize(Eigen::MatrixXd& W, Eigen::MatrixXd& H);

// n samples of D values (row-major, as sample_patches returns them) as the
// D x n matrix V, each value clamped to >= 0.
Eigen::MatrixXd samples_as_columns(const std::vector<float>& samples, int n, int D);

}  // namespace ml
