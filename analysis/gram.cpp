// Eigen's AVX-512 kernels trip GCC 12's -Wmaybe-uninitialized inside avx512fintrin.h
// (a false positive in system code inlined into ours; see CMakeLists.txt).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "analysis/gram.h"

#include <algorithm>
#include <vector>

#include <omp.h>

namespace ml {

Eigen::MatrixXd row_gram(const Eigen::MatrixXd& a) {
  const Eigen::Index n = a.rows();
  // Samples as columns: each block product reads contiguous columns.
  const Eigen::MatrixXd at = a.transpose();
  Eigen::MatrixXd g(n, n);
  constexpr Eigen::Index kBlock = 384;
  const Eigen::Index blocks = (n + kBlock - 1) / kBlock;
  std::vector<std::pair<Eigen::Index, Eigen::Index>> tasks;
  for (Eigen::Index bi = 0; bi < blocks; ++bi)
    for (Eigen::Index bj = 0; bj <= bi; ++bj) tasks.emplace_back(bi, bj);
  // Inside the parallel region Eigen runs each product on one thread.
#pragma omp parallel for schedule(dynamic, 1)
  for (size_t t = 0; t < tasks.size(); ++t) {
    const Eigen::Index i0 = tasks[t].first * kBlock, j0 = tasks[t].second * kBlock;
    const Eigen::Index ni = std::min(kBlock, n - i0), nj = std::min(kBlock, n - j0);
    g.block(i0, j0, ni, nj).noalias() = at.middleCols(i0, ni).transpose() * at.middleCols(j0, nj);
    if (i0 != j0) {
      g.block(j0, i0, nj, ni) = g.block(i0, j0, ni, nj).transpose();
    } else {
      // A GEMM's register tiles sum (a, b) and (b, a) in different orders:
      // make the diagonal block exactly symmetric.
      auto d = g.block(i0, i0, ni, ni);
      d.triangularView<Eigen::StrictlyUpper>() = d.transpose();
    }
  }
  return g;
}

Eigen::MatrixXd column_gram(const Eigen::MatrixXd& z, bool mixed) {
  const Eigen::Index n = z.rows(), d = z.cols();
  Eigen::MatrixXd total = Eigen::MatrixXd::Zero(d, d);
#pragma omp parallel
  {
    const Eigen::Index threads = omp_get_num_threads(), t = omp_get_thread_num();
    const Eigen::Index r0 = n * t / threads, r1 = n * (t + 1) / threads;
    Eigen::MatrixXd acc = Eigen::MatrixXd::Zero(d, d);
    if (mixed) {
      constexpr Eigen::Index kChunk = 1024;
      Eigen::MatrixXf part(d, d);
      Eigen::MatrixXf rows;
      for (Eigen::Index c0 = r0; c0 < r1; c0 += kChunk) {
        const Eigen::Index m = std::min(kChunk, r1 - c0);
        rows = z.middleRows(c0, m).cast<float>();
        part.setZero();
        part.selfadjointView<Eigen::Lower>().rankUpdate(rows.transpose());
        acc.triangularView<Eigen::Lower>() += part.cast<double>();
      }
    } else if (r1 > r0) {
      acc.selfadjointView<Eigen::Lower>().rankUpdate(z.middleRows(r0, r1 - r0).transpose());
    }
#pragma omp critical
    total.triangularView<Eigen::Lower>() += acc;
  }
  total.triangularView<Eigen::StrictlyUpper>() = total.transpose();
  return total;
}

void gram_to_squared_distances(Eigen::MatrixXd& g) {
  const Eigen::Index n = g.rows();
  const Eigen::VectorXd sq = g.diagonal();
#pragma omp parallel for schedule(static)
  for (Eigen::Index j = 0; j < n; ++j) {
    auto col = g.col(j);
    // (|a|^2 + |b|^2) first: the same sum for (i, j) and (j, i), so D stays exactly symmetric.
    col = ((sq.array() + sq(j)) - 2.0 * col.array()).cwiseMax(0.0).matrix();
    col(j) = 0.0;
  }
}

}  // namespace ml
