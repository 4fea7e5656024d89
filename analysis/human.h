// A model's class probabilities against human soft labels (e.g. CIFAR-10H,
// Peterson et al. 2019: per image, the share of people choosing each class).
//   cross_entropy      mean over images of -sum_c h_c log p_c (p clipped at 1e-12)
//   agreement          share of images where argmax p == argmax h (the human majority;
//                      ties go to the lowest class index, as numpy's argmax)
//   confusion_correlation  Pearson correlation of the off-diagonal entries of the two
//                      soft confusion matrices C[t][c] = mean over images of true class t
//                      of p_c (resp. h_c): do the model and people confuse the same classes?
#pragma once
#include <cstdint>
#include <vector>

#include <Eigen/Dense>

namespace ml {

struct HumanComparison {
  int64_t images = 0;
  double cross_entropy = 0;
  double agreement = 0;
  double confusion_correlation = 0;  // NaN when no true labels were given
  Eigen::MatrixXd model_confusion, human_confusion;  // classes x classes (empty without labels)
};

// model and human: N x C, rows probability distributions (non-negative, summing
// to 1 within 1e-3; an offending row is named). labels: N true classes in
// [0, C), or empty. Throws std::invalid_argument with one line on bad input.
HumanComparison compare_with_humans(const Eigen::MatrixXd& model, const Eigen::MatrixXd& human,
                                    const std::vector<int64_t>& labels);

}  // namespace ml
