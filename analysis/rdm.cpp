// Eigen's AVX-512 kernels trip GCC 12's -Wmaybe-uninitialized inside avx512fintrin.h
// (a false positive in system code inlined into ours; see CMakeLists.txt).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "analysis/rdm.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include "analysis/gram.h"

namespace ml {

RdmDistance parse_rdm_distance(const std::string& name) {
  if (name == "correlation") return RdmDistance::correlation;
  if (name == "euclidean") return RdmDistance::euclidean;
  if (name == "cosine") return RdmDistance::cosine;
  throw std::invalid_argument("--distance '" + name + "': expected correlation, euclidean or cosine");
}

std::string rdm_distance_name(RdmDistance d) {
  switch (d) {
    case RdmDistance::correlation: return "correlation";
    case RdmDistance::euclidean: return "euclidean";
    case RdmDistance::cosine: return "cosine";
  }
  return "?";
}

namespace {

// Rows scaled to unit norm (first_undefined_row has excluded zero rows).
void normalize_rows(Eigen::MatrixXd& x) {
  const Eigen::VectorXd norms = x.rowwise().norm();
  x.array().colwise() /= norms.array();
}

// 1 - G of the rows of c (unit norm), clamped to [0, 2], zero diagonal: each gram
// tile is turned into its RDM block and written, with its mirror, as it is done
// (no further pass over the n x n result).
Eigen::MatrixXd one_minus_gram(const Eigen::MatrixXd& c, bool mixed) {
  const Eigen::Index n = c.rows();
  Eigen::MatrixXd r(n, n);
  for_each_row_gram_tile(c, mixed, [&](Eigen::Index i0, Eigen::Index j0, const Eigen::MatrixXd& tile) {
    const Eigen::Index ni = tile.rows(), nj = tile.cols();
    if (i0 != j0) {
      auto blk = r.block(i0, j0, ni, nj);
      blk = (1.0 - tile.array()).cwiseMax(0.0).cwiseMin(2.0).matrix();
      r.block(j0, i0, nj, ni) = blk.transpose();
      return;
    }
    for (Eigen::Index col = 0; col < nj; ++col) {
      r(i0 + col, j0 + col) = 0.0;
      for (Eigen::Index row = col + 1; row < ni; ++row) {
        const double v = std::min(std::max(1.0 - tile(row, col), 0.0), 2.0);
        r(i0 + row, j0 + col) = v;
        r(j0 + col, i0 + row) = v;
      }
    }
  });
  return r;
}

}  // namespace

Eigen::Index first_undefined_row(const Eigen::MatrixXd& x, RdmDistance distance) {
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    if (distance == RdmDistance::correlation && x.row(i).maxCoeff() == x.row(i).minCoeff()) return i;
    if (distance == RdmDistance::cosine && (x.row(i).array() == 0).all()) return i;
  }
  return -1;
}

std::string undefined_row_reason(RdmDistance distance) {
  return distance == RdmDistance::cosine ? "is all zeros" : "has zero variance (all its values are equal)";
}

Eigen::MatrixXd compute_rdm(const Eigen::MatrixXd& x, RdmDistance distance, bool mixed) {
  if (x.rows() < 1 || x.cols() < 1) throw std::invalid_argument("RDM of an empty matrix");
  const Eigen::Index bad = first_undefined_row(x, distance);
  if (bad >= 0)
    throw std::invalid_argument(rdm_distance_name(distance) + " distance undefined: row " + std::to_string(bad) + " " +
                                undefined_row_reason(distance));
  // Exact (a power of two): no square or sum below can leave the float or double range.
  const double s = power_of_two_scale(x.cwiseAbs().maxCoeff());
  switch (distance) {
    case RdmDistance::correlation: {
      Eigen::MatrixXd c = x * s;
      const Eigen::VectorXd means = c.rowwise().mean();
      c.colwise() -= means;
      normalize_rows(c);
      return one_minus_gram(c, mixed);
    }
    case RdmDistance::cosine: {
      Eigen::MatrixXd c = x * s;
      normalize_rows(c);
      return one_minus_gram(c, mixed);
    }
    case RdmDistance::euclidean: {
      // Distances do not change when every row moves by the same vector;
      // centring the columns first keeps the norms small and the
      // cancellation in |a|^2 + |b|^2 - 2 a.b mild. The centred values are
      // scaled once more into [0.5, 1), so that float products neither
      // overflow nor lose small centred values to underflow.
      Eigen::MatrixXd c = x * s;
      const Eigen::RowVectorXd means = c.colwise().mean();
      c.rowwise() -= means;
      const double t = power_of_two_scale(c.cwiseAbs().maxCoeff());
      c *= t;
      Eigen::MatrixXd g = row_gram(c, mixed);
      gram_to_squared_distances(g);
      g /= static_cast<double>(x.cols());
      // Undo both scalings (distances go with the square of the values), exactly.
      g *= std::ldexp(1.0, -2 * (std::ilogb(s) + std::ilogb(t)));
      return g;
    }
  }
  throw std::invalid_argument("unknown RDM distance");
}

Eigen::MatrixXd correlation_rdm_from_gram(const Eigen::MatrixXd& gram, const Eigen::VectorXd& row_means,
                                          Eigen::Index features, std::vector<Eigen::Index>* constant_rows) {
  const Eigen::Index n = gram.rows();
  if (gram.cols() != n || row_means.size() != n)
    throw std::invalid_argument("correlation RDM: gram and means disagree");
  const double d = static_cast<double>(features);
  Eigen::VectorXd norms(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const double var = gram(i, i) - d * row_means(i) * row_means(i);
    // as normalize_rows: a row whose centred norm is (numerically) zero
    if (!(var > 1e-12 * std::max(gram(i, i), 1e-300))) {
      if (!constant_rows)
        throw std::invalid_argument("correlation distance undefined: row " + std::to_string(i) + " has zero variance");
      constant_rows->push_back(i);
      norms(i) = 0.0;  // marks the row for the fallback below
      continue;
    }
    norms(i) = std::sqrt(var);
  }
  Eigen::MatrixXd r(n, n);
  for (Eigen::Index j = 0; j < n; ++j) {
    for (Eigen::Index i = 0; i < n; ++i) {
      if (norms(i) == 0.0 || norms(j) == 0.0) {
        r(i, j) = 1.0;
        continue;
      }
      const double c = (gram(i, j) - d * row_means(i) * row_means(j)) / (norms(i) * norms(j));
      r(i, j) = std::min(2.0, std::max(0.0, 1.0 - c));
    }
    r(j, j) = 0.0;
  }
  return r;
}

Eigen::MatrixXd class_means(const Eigen::MatrixXd& x, const std::vector<int64_t>& labels,
                            std::vector<int64_t>* classes) {
  if (static_cast<Eigen::Index>(labels.size()) != x.rows())
    throw std::invalid_argument("labels: " + std::to_string(labels.size()) + " labels for " +
                                std::to_string(x.rows()) + " rows");
  std::map<int64_t, Eigen::Index> index;
  for (int64_t l : labels) index.emplace(l, 0);
  Eigen::Index k = 0;
  for (auto& [label, i] : index) i = k++;
  Eigen::MatrixXd sums = Eigen::MatrixXd::Zero(k, x.cols());
  Eigen::VectorXd counts = Eigen::VectorXd::Zero(k);
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    const Eigen::Index c = index[labels[static_cast<size_t>(r)]];
    sums.row(c) += x.row(r);
    counts(c) += 1;
  }
  if (classes) {
    classes->clear();
    for (const auto& [label, i] : index) classes->push_back(label);
  }
  return sums.array().colwise() / counts.array();
}

}  // namespace ml
