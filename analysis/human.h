// A model's class probabilities against people's judgements of the same images
// (e.g. CIFAR-10H, Peterson et al. 2019: per test image, how many of ~50 people
// chose each class). With p the model's probabilities, h the people's, counts
// their responses per class (n_i = the row's sum, k_i = counts[i][label_i]):
//   cross_entropy      mean_i of -sum_c h_ic log(max(p_ic, 1e-12)) (Peterson et al. 2019)
//   agreement          mean_i [argmax p_i == argmax counts_i] (the people's majority;
//                      argmax h_i without counts; ties go to the lowest class, as numpy)
//   error_consistency  and its ceiling between two people (analysis/error_consistency.h;
//                      h_i = k_i / n_i, or h_i[label_i] without counts; the ceiling needs counts)
//   confusion_correlation  Pearson correlation of the off-diagonal entries of the two
//                      soft confusion matrices C[t][c] = mean over images of true class t
//                      of p_c (resp. h_c): do the model and people confuse the same classes?
// Each measure is a function of a list of image rows (repeats allowed), so that a
// bootstrap resample is measured by the same code as the whole set.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Dense>

namespace ml {

struct HumanInputs {
  Eigen::MatrixXd model;         // N x C, rows probability distributions
  Eigen::MatrixXd human;         // N x C, rows probability distributions
  Eigen::MatrixXd counts;        // N x C non-negative integers, n_i >= 2; or empty
  std::vector<int64_t> labels;   // N true classes in [0, C); or empty
};

// How the inputs are named in errors (file names, in ml-analyze).
struct HumanInputNames {
  std::string model = "model probabilities", human = "human probabilities", counts = "counts", labels = "labels";
};

// Throws std::invalid_argument with one line naming the input and its row for:
// different row or class counts, no rows, a non-finite or negative probability,
// a row not summing to 1 within 1e-3, counts that are negative, not whole or
// with n_i < 2, a label outside [0, C).
void check_human_inputs(const HumanInputs& in, const HumanInputNames& names = {});

// The per-image terms the measures average (computed once, then averaged over
// any list of rows). Entries that need missing inputs are empty.
struct HumanTerms {
  std::vector<double> cross_entropy;   // -sum_c h_ic log(max(p_ic, 1e-12))
  std::vector<double> agreement;       // [argmax p_i == argmax counts_i]
  std::vector<double> correct;         // c_i = [argmax p_i == label_i]            (labels)
  std::vector<double> people_correct;  // h_i = k_i / n_i                          (labels)
  std::vector<double> right, people;   // k_i, n_i                                 (labels, counts)
};
HumanTerms human_terms(const HumanInputs& in);

struct HumanScores {
  double cross_entropy = 0, agreement = 0;
  double error_consistency = 0, error_consistency_ceiling = 0, confusion_correlation = 0;  // NaN without their inputs
};

// The measures over rows (indices into in's rows; repeats count again).
HumanScores human_scores(const HumanInputs& in, const HumanTerms& terms, const std::vector<int64_t>& rows);

// 0, 1, ..., n - 1.
std::vector<int64_t> all_rows(int64_t n);

// The soft confusion matrices C[t][c] over rows (classes x classes; a class
// with no image keeps a zero row), and the Pearson correlation of their
// off-diagonal entries over the classes that have images (NaN below 2 entries).
struct SoftConfusion {
  Eigen::MatrixXd model, human;
  double correlation = 0;
};
SoftConfusion soft_confusion(const HumanInputs& in, const std::vector<int64_t>& rows);

// The whole-set measures without counts, as the study reports them.
struct HumanComparison {
  int64_t images = 0;
  double cross_entropy = 0;
  double agreement = 0;
  double confusion_correlation = 0;  // NaN when no true labels were given
  Eigen::MatrixXd model_confusion, human_confusion;  // classes x classes (empty without labels)
};

// model and human: N x C; labels: N true classes, or empty. Checks as check_human_inputs.
HumanComparison compare_with_humans(const Eigen::MatrixXd& model, const Eigen::MatrixXd& human,
                                    const std::vector<int64_t>& labels);

}  // namespace ml
