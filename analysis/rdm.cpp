// Eigen's AVX-512 kernels trip GCC 12's -Wmaybe-uninitialized inside avx512fintrin.h
// (a false positive in system code inlined into ours; see CMakeLists.txt).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "analysis/rdm.h"

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

// Rows scaled to unit norm; a zero row is an error (what names the distance).
void normalize_rows(Eigen::MatrixXd& x, const std::string& what, const std::string& why) {
  const Eigen::VectorXd norms = x.rowwise().norm();
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    if (!(norms(i) > 0))
      throw std::invalid_argument(what + " distance undefined: row " + std::to_string(i) + " " + why);
  }
  x.array().colwise() /= norms.array();
}

// 1 - G, clamped to [0, 2], zero diagonal. In place.
void one_minus(Eigen::MatrixXd& g) {
  const Eigen::Index n = g.rows();
#pragma omp parallel for schedule(static)
  for (Eigen::Index j = 0; j < n; ++j) {
    auto col = g.col(j);
    col = (1.0 - col.array()).cwiseMax(0.0).cwiseMin(2.0).matrix();
    col(j) = 0.0;
  }
}

}  // namespace

Eigen::MatrixXd compute_rdm(const Eigen::MatrixXd& x, RdmDistance distance) {
  if (x.rows() < 1 || x.cols() < 1) throw std::invalid_argument("RDM of an empty matrix");
  switch (distance) {
    case RdmDistance::correlation: {
      Eigen::MatrixXd c = x.colwise() - x.rowwise().mean();
      normalize_rows(c, "correlation", "has zero variance");
      Eigen::MatrixXd g = row_gram(c);
      one_minus(g);
      return g;
    }
    case RdmDistance::cosine: {
      Eigen::MatrixXd c = x;
      normalize_rows(c, "cosine", "is all zeros");
      Eigen::MatrixXd g = row_gram(c);
      one_minus(g);
      return g;
    }
    case RdmDistance::euclidean: {
      // Distances do not change when every row moves by the same vector;
      // centring the columns first keeps the norms small and the
      // cancellation in |a|^2 + |b|^2 - 2 a.b mild.
      const Eigen::MatrixXd c = x.rowwise() - x.colwise().mean();
      Eigen::MatrixXd g = row_gram(c);
      gram_to_squared_distances(g);
      g /= static_cast<double>(x.cols());
      return g;
    }
  }
  throw std::invalid_argument("unknown RDM distance");
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
