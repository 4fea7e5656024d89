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

// What the notes say of a side, with its label ("A: ...", "reduced A: ...").
std::string side_note(const CcaSide& s, const char* label) {
  if (s.note.empty()) return "";
  return std::string(s.forced_reduction ? "reduced " : "") + label + ": " + s.note;
}

std::string percent(double share) {
  std::ostringstream o;
  o << share * 100 << "%";
  return o.str();
}

// The top singular directions carrying `keep` of the variance.
void reduce(CcaSide& s, double keep, const std::string& name) {
  const CentredSvd svd = centred_svd(s.centred);
  if (svd.s.size() == 0) throw std::invalid_argument("cca: " + name + " has no variance (every column is constant)");
  const Eigen::Index k = directions_for_share(svd.s, keep);
  s.q = svd.u.leftCols(k);
  std::ostringstream note;
  note << "top " << k << " singular directions of " << s.centred.cols() << " features (" << percent(keep)
       << " of the variance)";
  s.note = note.str();
}

// The whole centred column space, by Householder QR with column pivoting.
void take_whole(CcaSide& s, const std::string& name) {
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(s.centred);
  qr.setThreshold(std::sqrt(kRankTolerance));
  const Eigen::Index r = qr.rank();
  if (r == 0) throw std::invalid_argument("cca: " + name + " has no variance (every column is constant)");
  s.q = qr.householderQ() * Eigen::MatrixXd::Identity(s.centred.rows(), r);
  if (r < s.centred.cols()) {
    std::ostringstream note;
    note << "rank " << r << " of " << s.centred.cols() << " columns, CCA on its span";
    s.note = note.str();
  }
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

CcaSide cca_side(Eigen::MatrixXd x, CcaMethod method, double keep, const std::string& name) {
  if (!(keep > 0 && keep <= 1)) throw std::invalid_argument("cca: keep must be in (0, 1], got " + std::to_string(keep));
  if (x.rows() < 3) throw std::invalid_argument("cca: " + name + " has " + std::to_string(x.rows()) + " rows (at least 3)");
  // Before centring: the mean of equal values need not round back to the value.
  const Eigen::Index constant = first_constant_column(x);
  centre_columns(x);
  CcaSide s;
  s.method = method;
  s.centred = std::move(x);
  if (method == CcaMethod::svcca) {
    reduce(s, keep, name);
  } else if (s.centred.cols() >= s.centred.rows() - 1) {
    reduce(s, keep, name);
    s.forced_reduction = true;
    s.note += ": " + std::to_string(s.centred.cols()) + " features on " + std::to_string(s.centred.rows()) +
              " examples span every centred direction";
  } else if (constant >= 0) {
    throw std::invalid_argument("cca: " + name + " column " + std::to_string(constant) + " is constant (" +
                                cca_metric(method) + " needs every column to vary; --method svcca drops it)");
  } else {
    take_whole(s, name);
  }
  return s;
}

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
  const CcaSide sa = cca_side(std::move(a), method, keep, name_a);
  return cca_similarity(sa, cca_side(std::move(b), method, keep, name_b));
}

CcaResult cca_similarity(const CcaSide& ba, const CcaSide& bb) {
  if (ba.method != bb.method) throw std::invalid_argument("cca: the two sides were prepared for different methods");
  if (ba.centred.rows() != bb.centred.rows())
    throw std::invalid_argument("cca: the sides have " + std::to_string(ba.centred.rows()) + " and " +
                                std::to_string(bb.centred.rows()) + " rows");
  const CcaMethod method = ba.method;
  const Eigen::MatrixXd& a = ba.centred;
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
  std::string note = join_notes(side_note(ba, "A"), side_note(bb, "B"));
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
