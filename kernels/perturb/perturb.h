// The batched node-perturbation ops (rules/node_perturbation.cpp). A layer's
// output over `copies` replicas of the batch is laid out [copies][M] with
// M = batch x features; copy 0 is the clean pass, copies 1.. are perturbed.
//
// perturb_copies: noise[c][i] = s_c * sigma * z(j_c * M + i) for c >= 1 and 0
// for c = 0; y[c][i] = x[c][i] + noise[c][i]. Without antithetic, copy c uses
// draw j_c = c - 1 and s_c = +1; with antithetic, copies 2j+1 and 2j+2 share
// draw j with s = +1 and -1. z is noise_hash.h's counter-based N(0, 1) of
// (seed, index), so CPU and GPU draw the same numbers. Overwrites y and noise;
// y may alias x.
//
// scale_rows: y[r][f] = coef[r] * x[r][f] for rows r < rows of row_size
// features (the per-sample loss difference times the noise). y may alias x.
#pragma once
#include <cstddef>
#include <cstdint>

namespace ml {

void perturb_copies_cpu(float* y, float* noise, const float* x, float sigma, uint64_t seed, size_t M, int copies,
                        bool antithetic);
void perturb_copies_cuda(float* y, float* noise, const float* x, float sigma, uint64_t seed, size_t M, int copies,
                         bool antithetic);

void scale_rows_cpu(float* y, const float* x, const float* coef, size_t rows, size_t row_size);
void scale_rows_cuda(float* y, const float* x, const float* coef, size_t rows, size_t row_size);

}  // namespace ml
