// Error consistency (Geirhos, Meding & Wichmann, NeurIPS 2020): Cohen's kappa
// on "right or wrong per image", so that two observers with the same accuracy
// but errors on different images score 0 rather than the overlap their
// accuracies alone would give. Against people given as a share per image (not
// one person), the people's side is a random annotator of that image:
//   acc_m = mean c_i, acc_h = mean h_i     (c_i in {0, 1}: the model was right;
//                                           h_i = k_i / n_i: the share of people right)
//   c_obs = mean_i (c_i h_i + (1 - c_i)(1 - h_i))
//   c_exp = acc_m acc_h + (1 - acc_m)(1 - acc_h)
//   kappa = (c_obs - c_exp) / (1 - c_exp)
// The ceiling is the same kappa between two different people drawn from an
// image's n_i (without replacement, so one person is not compared with themself):
//   c_obs = mean_i (k_i (k_i - 1) + (n_i - k_i)(n_i - k_i - 1)) / (n_i (n_i - 1))
//   c_exp = acc_h^2 + (1 - acc_h)^2
// kappa is NaN where c_exp = 1 (both always right or both always wrong: no error to share).
#pragma once
#include <vector>

namespace ml {

// correct: c_i (0 or 1), people_correct: h_i in [0, 1]; the same length >= 1.
double error_consistency(const std::vector<double>& correct, const std::vector<double>& people_correct);

// right: k_i, people: n_i >= 2 per image; the same length >= 1.
double error_consistency_ceiling(const std::vector<double>& right, const std::vector<double>& people);

}  // namespace ml
