// 2-D convolution (cross-correlation, as PyTorch), NCHW, weights [K, C, R, S].
// Every function overwrites its outputs. Pointers live on the device the
// suffix names (_cpu: host memory, _cuda: device memory).
#pragma once

namespace ml {

struct Conv2dShape {
  int N = 1, C = 1, H = 1, W = 1;  // input
  int K = 1, R = 1, S = 1;         // output channels, kernel height, kernel width
  int stride = 1, pad = 0;
  int P() const { return (H + 2 * pad - R) / stride + 1; }  // output height
  int Q() const { return (W + 2 * pad - S) / stride + 1; }  // output width
};

// y[N,K,P,Q] = x (*) w + b.  b may be null (no bias).
void conv2d_forward_cpu(float* y, const float* x, const float* w, const float* b, const Conv2dShape& s);
void conv2d_forward_cuda(float* y, const float* x, const float* w, const float* b, const Conv2dShape& s);

// dx[N,C,H,W] = transposed convolution of dy[N,K,P,Q] with w[K,C,R,S].
// w is whatever weight the learning rule sends the error through (W, B, sign(W), ...).
void conv2d_backward_input_cpu(float* dx, const float* dy, const float* w, const Conv2dShape& s);
void conv2d_backward_input_cuda(float* dx, const float* dy, const float* w, const Conv2dShape& s);

// dw[K,C,R,S] = sum over n,p,q of dy * x;  db[K] = sum over n,p,q of dy (db may be null).
void conv2d_backward_weight_cpu(float* dw, float* db, const float* dy, const float* x, const Conv2dShape& s);
void conv2d_backward_weight_cuda(float* dw, float* db, const float* dy, const float* x, const Conv2dShape& s);

}  // namespace ml
