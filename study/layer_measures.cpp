// Eigen's AVX-512 kernels trip GCC 12's -Wmaybe-uninitialized inside avx512fintrin.h
// (a false positive in system code inlined into ours; see CMakeLists.txt).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "study/layer_measures.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>
#include <stdexcept>

#include "analysis/centred_svd.h"
#include "analysis/cka_bootstrap.h"
#include "analysis/gram.h"
#include "analysis/matrix_io.h"
#include "analysis/rdm.h"
#include "analysis/rdm_bootstrap.h"

namespace ml {

LayerView layer_view(const std::string& path, int64_t n, bool with_features) {
  Eigen::MatrixXd x = load_matrix_npy(path);
  if (x.rows() != n)
    throw std::runtime_error(path + ": " + std::to_string(x.rows()) + " rows, the other runs have " + std::to_string(n));
  LayerView v;
  const Eigen::MatrixXd k = row_gram(x);
  std::vector<Eigen::Index> constant;
  v.rdm = correlation_rdm_from_gram(k, x.rowwise().mean(), x.cols(), &constant);
  v.constant_rows = static_cast<int64_t>(constant.size());
  // H K H: the same CKA as K, without the cancellation a large mean activation would cause.
  const Eigen::VectorXd row_mean = k.rowwise().mean();
  const double all_mean = row_mean.mean();
  v.gram = k;
  v.gram.colwise() -= row_mean;
  v.gram.rowwise() -= row_mean.transpose();
  v.gram.array() += all_mean;
  if (with_features) {
    if (x.cols() < n - 1) {
      // A constant column (a dead unit) carries no variance; CCA taken whole would refuse it.
      std::vector<Eigen::Index> varying;
      for (Eigen::Index j = 0; j < x.cols(); ++j)
        if (x.col(j).maxCoeff() > x.col(j).minCoeff()) varying.push_back(j);
      if (varying.empty()) varying.push_back(0);  // no variance at all: one zero column, which every measure refuses
      v.features = x(Eigen::all, varying);
      centre_columns(v.features);
    } else {
      // Padding keeps the width at N - 1 or more, so the CCA measures reduce this side as they would the layer.
      const CentredSvd svd = centred_svd_from_row_gram(v.gram);
      v.features = Eigen::MatrixXd::Zero(n, std::max<Eigen::Index>(n - 1, svd.s.size()));
      v.features.leftCols(svd.s.size()) = svd.u * svd.s.asDiagonal();
    }
  }
  return v;
}

double layer_measure(int m, const LayerView& a, const LayerView& b, const std::vector<int64_t>& idx) {
  if (m == 2) {
    if (a.rdm.size() == 0 || b.rdm.size() == 0) return NAN;
    return resampled_rdm_comparison(a.rdm, b.rdm, RdmComparison::spearman, idx);
  }
  return resampled_gram_cka(a.gram, b.gram, idx, m == 0);
}

PairsMean mean_over_pairs(int m, const std::vector<std::pair<const LayerView*, const LayerView*>>& pairs, int64_t n,
                          int draws, uint64_t seed) {
  // RSA sorts each pair's upper triangles once, not once a resample.
  std::vector<std::optional<PreparedRdmComparison>> rsa(pairs.size());
  if (m == 2) {
    for (size_t k = 0; k < pairs.size(); ++k)
      if (pairs[k].first->rdm.size() && pairs[k].second->rdm.size())
        rsa[k].emplace(pairs[k].first->rdm, pairs[k].second->rdm, RdmComparison::spearman);
  }
  auto mean_at = [&](const std::vector<int64_t>& idx) {
    double sum = 0;
    for (size_t k = 0; k < pairs.size(); ++k) {
      if (m != 2) sum += layer_measure(m, *pairs[k].first, *pairs[k].second, idx);
      else sum += rsa[k] ? rsa[k]->resampled(idx) : NAN;
    }
    return sum / static_cast<double>(pairs.size());
  };
  std::vector<int64_t> all(n);
  std::iota(all.begin(), all.end(), 0);
  PairsMean out;
  out.value = mean_at(all);
  std::vector<double> values(draws);
#pragma omp parallel for schedule(dynamic)
  for (int b = 0; b < draws; ++b) values[b] = mean_at(bootstrap_resample(n, b, seed));
  out.ci = percentile_interval(std::move(values));
  out.ci.draws = draws;
  return out;
}

}  // namespace ml
