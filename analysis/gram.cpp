// Eigen's AVX-512 kernels trip GCC 12's -Wmaybe-uninitialized inside avx512fintrin.h
// (a false positive in system code inlined into ours; see CMakeLists.txt).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "analysis/gram.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include <omp.h>

namespace ml {

namespace {

std::vector<std::pair<Eigen::Index, Eigen::Index>> lower_tiles(Eigen::Index n, Eigen::Index block) {
  const Eigen::Index blocks = (n + block - 1) / block;
  std::vector<std::pair<Eigen::Index, Eigen::Index>> tasks;
  for (Eigen::Index bi = 0; bi < blocks; ++bi)
    for (Eigen::Index bj = 0; bj <= bi; ++bj) tasks.emplace_back(bi * block, bj * block);
  return tasks;
}

}  // namespace

void for_each_row_gram_tile(const Eigen::MatrixXd& a, bool mixed, const GramTileFn& fn) {
  const Eigen::Index n = a.rows(), d = a.cols();
  constexpr Eigen::Index kBlock = 256;
  const auto tasks = lower_tiles(n, kBlock);
  // Samples as columns: each block product reads contiguous columns.
  Eigen::MatrixXd at;
  Eigen::MatrixXf atf;
  if (mixed)
    atf = a.transpose().cast<float>();
  else
    at = a.transpose();
  // Inside the parallel region Eigen runs each product on one thread.
#pragma omp parallel
  {
    Eigen::MatrixXd tile;
    Eigen::MatrixXf part;
#pragma omp for schedule(dynamic, 1)
    for (size_t t = 0; t < tasks.size(); ++t) {
      const Eigen::Index i0 = tasks[t].first, j0 = tasks[t].second;
      const Eigen::Index ni = std::min(kBlock, n - i0), nj = std::min(kBlock, n - j0);
      if (!mixed) {
        tile.noalias() = at.middleCols(i0, ni).transpose() * at.middleCols(j0, nj);
      } else {
        tile.setZero(ni, nj);
        for (Eigen::Index k0 = 0; k0 < d; k0 += kMixedBlock) {
          const Eigen::Index kb = std::min(kMixedBlock, d - k0);
          part.noalias() = atf.block(k0, i0, kb, ni).transpose() * atf.block(k0, j0, kb, nj);
          tile += part.cast<double>();
        }
      }
      fn(i0, j0, tile);
    }
  }
}

Eigen::MatrixXd row_gram(const Eigen::MatrixXd& a, bool mixed) {
  Eigen::MatrixXd g(a.rows(), a.rows());
  for_each_row_gram_tile(a, mixed, [&](Eigen::Index i0, Eigen::Index j0, const Eigen::MatrixXd& tile) {
    const Eigen::Index ni = tile.rows(), nj = tile.cols();
    if (i0 != j0) {
      g.block(i0, j0, ni, nj) = tile;
      g.block(j0, i0, nj, ni) = tile.transpose();
    } else {
      // A GEMM's register tiles sum (a, b) and (b, a) in different orders:
      // make the diagonal block exactly symmetric.
      auto blk = g.block(i0, i0, ni, ni);
      blk.triangularView<Eigen::Lower>() = tile;
      blk.triangularView<Eigen::StrictlyUpper>() = tile.transpose();
    }
  });
  return g;
}

Eigen::MatrixXd row_gram_wide(const Eigen::MatrixXd& a) {
  const Eigen::Index n = a.rows();
  // A few blocks per thread, so that the dynamic schedule evens out the smaller diagonal tasks.
  const Eigen::Index blocks = std::max<Eigen::Index>(1, std::min<Eigen::Index>(2 * omp_get_max_threads() + 2, n / 32));
  const Eigen::Index block = (n + blocks - 1) / blocks;
  const auto tasks = lower_tiles(n, block);
  Eigen::MatrixXd g(n, n);
#pragma omp parallel
  {
    Eigen::MatrixXd tile;
#pragma omp for schedule(dynamic, 1)
    for (size_t t = 0; t < tasks.size(); ++t) {
      const Eigen::Index i0 = tasks[t].first, j0 = tasks[t].second;
      const Eigen::Index ni = std::min(block, n - i0), nj = std::min(block, n - j0);
      if (i0 != j0) {
        tile.noalias() = a.middleRows(i0, ni) * a.middleRows(j0, nj).transpose();
        g.block(i0, j0, ni, nj) = tile;
        g.block(j0, i0, nj, ni) = tile.transpose();
      } else {
        tile.setZero(ni, ni);
        tile.selfadjointView<Eigen::Lower>().rankUpdate(a.middleRows(i0, ni));
        auto blk = g.block(i0, i0, ni, ni);
        blk.triangularView<Eigen::Lower>() = tile;
        blk.triangularView<Eigen::StrictlyUpper>() = tile.transpose();
      }
    }
  }
  return g;
}

Eigen::MatrixXd column_gram_mixed(const Eigen::MatrixXf& zf) {
  const Eigen::Index n = zf.rows(), d = zf.cols();
  // Row panels of the lower triangle: panel p is G(i0 .. i0+ni, 0 .. i0+ni), one
  // wide product per block of examples (only the upper half of the diagonal
  // block is wasted: ~53% of the full d x d flops at d = 1024).
  constexpr Eigen::Index kPanel = 64;
  const Eigen::Index panels = (d + kPanel - 1) / kPanel;
  Eigen::MatrixXd total(d, d);
#pragma omp parallel
  {
    Eigen::MatrixXd acc;
    Eigen::MatrixXf part;
#pragma omp for schedule(dynamic, 1)
    for (Eigen::Index p = panels - 1; p >= 0; --p) {  // the widest first
      const Eigen::Index i0 = p * kPanel, ni = std::min(kPanel, d - i0), w = i0 + ni;
      acc.setZero(ni, w);
      for (Eigen::Index r0 = 0; r0 < n; r0 += kMixedColumnBlock) {
        const Eigen::Index m = std::min(kMixedColumnBlock, n - r0);
        part.noalias() = zf.block(r0, i0, m, ni).transpose() * zf.leftCols(w).middleRows(r0, m);
        acc += part.cast<double>();
      }
      total.block(i0, 0, ni, w) = acc;
    }
  }
  total.triangularView<Eigen::StrictlyUpper>() = total.transpose();
  return total;
}

Eigen::MatrixXd column_gram(const Eigen::MatrixXd& z, bool mixed) {
  if (mixed) return column_gram_mixed(z.cast<float>());
  const Eigen::Index n = z.rows(), d = z.cols();
  Eigen::MatrixXd total = Eigen::MatrixXd::Zero(d, d);
#pragma omp parallel
  {
    const Eigen::Index threads = omp_get_num_threads(), t = omp_get_thread_num();
    const Eigen::Index r0 = n * t / threads, r1 = n * (t + 1) / threads;
    Eigen::MatrixXd acc = Eigen::MatrixXd::Zero(d, d);
    if (r1 > r0) acc.selfadjointView<Eigen::Lower>().rankUpdate(z.middleRows(r0, r1 - r0).transpose());
#pragma omp critical
    total.triangularView<Eigen::Lower>() += acc;
  }
  total.triangularView<Eigen::StrictlyUpper>() = total.transpose();
  return total;
}

double power_of_two_scale(double m) {
  if (!(m > 0) || !std::isfinite(m)) return 1.0;
  int e = 0;
  std::frexp(m, &e);
  // Kept inside the normal range: 2^-1022 .. 2^1022.
  return std::ldexp(1.0, std::clamp(-e, -1022, 1022));
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
