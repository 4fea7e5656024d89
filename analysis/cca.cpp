// Eigen's AVX-512 kernels trip GCC 12's -Wmaybe-uninitialized inside avx512fintrin.h
// (a false positive in system code inlined into ours; see CMakeLists.txt).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "analysis/cca.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "analysis/centred_svd.h"

namespace ml {

CcaMethod parse_cca_method(const std::string& name) {
  if (name == "mean") return CcaMethod::mean;
  if (name == "svcca") return CcaMethod::svcca;
  if (name == "pwcca") return CcaMethod::pwcca;
  throw std::invalid_argument("--method '" + name + "': expected mean, svcca or pwcca");
}

std::string cca_metric(CcaMethod m) {
  switch (m) {
    case CcaMethod::mean: return "cca_mean";
    case CcaMethod::svcca: return "svcca";
    case CcaMethod::pwcca: return "pwcca";
  }
  return "";
}

namespace {

// An orthonormal basis of one side's centred column space, and what was done to get it.
struct Basis {
  Eigen::MatrixXd q;
  std::string note;
};

std::string percent(double share) {
  std::ostringstream o;
  o << share * 100 << "%";
  return o.str();
}

// The top singular directions carrying `keep` of the variance.
Basis reduced_basis(const Eigen::MatrixXd& xc, double keep, const std::string& name, const char* label) {
  const CentredSvd svd = centred_svd(xc);
  if (svd.s.size() == 0) throw std::invalid_argument("cca: " + name + " has no variance (every column is constant)");
  const Eigen::Index k = directions_for_share(svd.s, keep);
  Basis b;
  b.q = svd.u.leftCols(k);
  std::ostringstream note;
  note << label << ": top " << k << " singular directions of " << xc.cols() << " features (" << percent(keep)
       << " of the variance)";
  b.note = note.str();
  return b;
}

// The whole centred column space, by Householder QR with column pivoting.
Basis whole_basis(const Eigen::MatrixXd& xc, const std::string& name, const char* label) {
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(xc);
  qr.setThreshold(std::sqrt(kRankTolerance));
  const Eigen::Index r = qr.rank();
  if (r == 0) throw std::invalid_argument("cca: " + name + " has no variance (every column is constant)");
  Basis b;
  b.q = qr.householderQ() * Eigen::MatrixXd::Identity(xc.rows(), r);
  if (r < xc.cols()) {
    std::ostringstream note;
    note << label << ": rank " << r << " of " << xc.cols() << " columns, CCA on its span";
    b.note = note.str();
  }
  return b;
}

// xc centred; constant: the first constant column of the data before centring, or -1.
Basis side_basis(const Eigen::MatrixXd& xc, Eigen::Index constant, CcaMethod method, double keep,
                 const std::string& name, const char* label) {
  if (method == CcaMethod::svcca) return reduced_basis(xc, keep, name, label);
  const Eigen::Index n = xc.rows();
  if (xc.cols() >= n - 1) {
    Basis b = reduced_basis(xc, keep, name, label);
    b.note = "reduced " + b.note + ": " + std::to_string(xc.cols()) + " features on " + std::to_string(n) +
             " examples span every centred direction";
    return b;
  }
  if (constant >= 0)
    throw std::invalid_argument("cca: " + name + " column " + std::to_string(constant) + " is constant (" +
                                cca_metric(method) + " needs every column to vary; --method svcca drops it)");
  return whole_basis(xc, name, label);
}

std::string join_notes(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + "; " + b;
}

// The m largest of the ascending eigenvalues of W W^T (or W^T W), largest first, as correlations sqrt(lambda)
// clamped to [0, 1].
Eigen::VectorXd correlations_of(const Eigen::VectorXd& ascending, Eigen::Index m) {
  Eigen::VectorXd rho(m);
  for (Eigen::Index i = 0; i < m; ++i)
    rho(i) = std::sqrt(std::clamp(ascending(ascending.size() - 1 - i), 0.0, 1.0));
  return rho;
}

}  // namespace

Eigen::VectorXd canonical_correlations(const Eigen::MatrixXd& qa, const Eigen::MatrixXd& qb) {
  const Eigen::MatrixXd w = qa.transpose() * qb;
  const Eigen::MatrixXd g = w.rows() <= w.cols() ? Eigen::MatrixXd(w * w.transpose())
                                                 : Eigen::MatrixXd(w.transpose() * w);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(g, Eigen::EigenvaluesOnly);
  if (eig.info() != Eigen::Success) throw std::runtime_error("cca: the eigendecomposition did not converge");
  return correlations_of(eig.eigenvalues(), g.rows());
}

CcaResult cca_similarity(Eigen::MatrixXd a, Eigen::MatrixXd b, CcaMethod method, double keep,
                         const std::string& name_a, const std::string& name_b) {
  if (!(keep > 0 && keep <= 1)) throw std::invalid_argument("cca: keep must be in (0, 1], got " + std::to_string(keep));
  require_pair(a, b, "cca");
  // Before centring: the mean of equal values need not round back to the value.
  const Eigen::Index constant_a = first_constant_column(a), constant_b = first_constant_column(b);
  centre_columns(a);
  centre_columns(b);
  const Basis ba = side_basis(a, constant_a, method, keep, name_a, "A");
  const Basis bb = side_basis(b, constant_b, method, keep, name_b, "B");
  CcaResult r;
  r.dims_a = ba.q.cols();
  r.dims_b = bb.q.cols();
  const Eigen::Index m = std::min(r.dims_a, r.dims_b);
  if (method == CcaMethod::pwcca) {
    // A's canonical directions: the left singular vectors of W = Q_A^T Q_B, eigenvectors of W W^T.
    const Eigen::MatrixXd w = ba.q.transpose() * bb.q;
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(w * w.transpose());
    if (eig.info() != Eigen::Success) throw std::runtime_error("cca: the eigendecomposition did not converge");
    r.rho = correlations_of(eig.eigenvalues(), m);
    const Eigen::MatrixXd p = eig.eigenvectors().rowwise().reverse().leftCols(m);
    const Eigen::MatrixXd h = ba.q * p;  // N x m canonical variates, unit norm
    const Eigen::VectorXd weights = (h.transpose() * a).cwiseAbs().rowwise().sum();
    r.value = weights.dot(r.rho) / weights.sum();
  } else {
    r.rho = canonical_correlations(ba.q, bb.q);
    r.value = r.rho.mean();
  }
  std::string note = join_notes(ba.note, bb.note);
  const Eigen::Index space = a.rows() - 1;
  if (r.dims_a + r.dims_b > space) {
    std::ostringstream o;
    o << r.dims_a << " + " << r.dims_b << " dimensions exceed the " << space << " centred directions: "
      << r.dims_a + r.dims_b - space << " of the " << m << " correlations are 1 by construction";
    note = join_notes(note, o.str());
  }
  r.note = note;
  return r;
}

}  // namespace ml
