// Mutual nearest neighbours (Huh, Cheung, Wang & Isola 2024, "The Platonic
// representation hypothesis"): how many of each example's k nearest neighbours
// two representations share.
//
//   columns centred, rows L2-normalised; N_X(i) = the k other examples j != i
//   with the largest <x_i, x_j>; value = (1/N) sum_i |N_X(i) and N_Y(i)| / k.
//
// Unchanged by isotropic scaling and orthogonal maps of either side (inner
// products of normalised rows keep their order), 1 for identical inputs. Ties are
// broken by the smaller index, so the value is deterministic. The N x N gram of
// one side is held at a time (8 N^2 bytes).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Dense>

namespace ml {

// N x k: row i holds the indices of i's k nearest neighbours, nearest first.
// Throws std::invalid_argument for k < 1, k >= N, fewer than 3 rows, or a row that
// is zero after centring (it has no direction), named "<name> row i".
// x is taken by value, centred and normalised in place.
Eigen::Matrix<int64_t, Eigen::Dynamic, Eigen::Dynamic> nearest_neighbours(Eigen::MatrixXd x, int64_t k,
                                                                         const std::string& name = "A");

// Throws as nearest_neighbours, and for different row counts.
double mutual_knn(Eigen::MatrixXd x, Eigen::MatrixXd y, int64_t k, const std::string& name_a = "A",
                  const std::string& name_b = "B");

}  // namespace ml
