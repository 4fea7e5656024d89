// Eigen's AVX-512 kernels trip GCC 12's -Wmaybe-uninitialized inside avx512fintrin.h
// (a false positive in system code inlined into ours; see CMakeLists.txt).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "analysis/knn_overlap.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <utility>

#include "analysis/centred_svd.h"
#include "analysis/gram.h"

namespace ml {

using IndexMatrix = Eigen::Matrix<int64_t, Eigen::Dynamic, Eigen::Dynamic>;

IndexMatrix nearest_neighbours(Eigen::MatrixXd x, int64_t k, const std::string& name) {
  const Eigen::Index n = x.rows();
  if (n < 3) throw std::invalid_argument("knn needs at least 3 examples (rows), got " + std::to_string(n));
  if (k < 1 || k >= n)
    throw std::invalid_argument("knn: k = " + std::to_string(k) + " must be in [1, N - 1] = [1, " +
                                std::to_string(n - 1) + "] (each of the N = " + std::to_string(n) +
                                " examples has N - 1 others)");
  centre_columns(x);
  const Eigen::VectorXd norms = x.rowwise().norm();
  const double largest = norms.maxCoeff();
  for (Eigen::Index i = 0; i < n; ++i) {
    // A row at the column means has no direction to compare.
    if (!(norms(i) > 1e-12 * largest))
      throw std::invalid_argument("knn: " + name + " row " + std::to_string(i) +
                                  " equals the column means (zero after centring): it has no direction");
  }
  x.array().colwise() *= norms.cwiseInverse().array();
  const Eigen::MatrixXd g = row_gram_wide(x);
  IndexMatrix out(n, k);
#pragma omp parallel
  {
    std::vector<Eigen::Index> others(static_cast<size_t>(n - 1));
#pragma omp for schedule(static)
    for (Eigen::Index i = 0; i < n; ++i) {
      std::iota(others.begin(), others.begin() + i, Eigen::Index{0});
      std::iota(others.begin() + i, others.end(), i + 1);
      // g is exactly symmetric: column i, contiguous, is row i.
      const auto nearer = [&](Eigen::Index a, Eigen::Index b) {
        return g(a, i) > g(b, i) || (g(a, i) == g(b, i) && a < b);
      };
      std::partial_sort(others.begin(), others.begin() + k, others.end(), nearer);
      for (int64_t c = 0; c < k; ++c) out(i, c) = others[static_cast<size_t>(c)];
    }
  }
  return out;
}

double mutual_knn(Eigen::MatrixXd x, Eigen::MatrixXd y, int64_t k, const std::string& name_a,
                  const std::string& name_b) {
  require_pair(x, y, "knn");
  IndexMatrix a = nearest_neighbours(std::move(x), k, name_a);
  IndexMatrix b = nearest_neighbours(std::move(y), k, name_b);
  int64_t shared = 0;
  for (Eigen::Index i = 0; i < a.rows(); ++i) {
    std::sort(a.row(i).begin(), a.row(i).end());
    std::sort(b.row(i).begin(), b.row(i).end());
    Eigen::Index p = 0, q = 0;
    while (p < k && q < k) {
      if (a(i, p) == b(i, q)) ++shared, ++p, ++q;
      else if (a(i, p) < b(i, q)) ++p;
      else ++q;
    }
  }
  return static_cast<double>(shared) / (static_cast<double>(a.rows()) * static_cast<double>(k));
}

}  // namespace ml
