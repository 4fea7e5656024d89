// ml-bench kernels --device cuda: our CUDA kernels against cuDNN (convolutions,
// pooling, ReLU, log-softmax) and cuBLAS (the linear layer's GEMMs), plain FP32
// on both sides (cuDNN with CUDNN_FMA_MATH and cuBLAS's default math: no TF32).
// The op table's rows (kernel_bench.h) run on the same random values as on the CPU,
// against the library call of gpu_baselines() where one does the op (bias add and
// gradient, average pooling, axpby, row scaling); the others have no baseline and
// are checked against our CPU entry point instead.
#include <stdexcept>

#include "benchmarks/kernel_bench.h"
#include "benchmarks/kernel_runner.h"

#if !defined(ML_HAVE_CUDA) || !defined(ML_BENCH_CUDNN)

namespace ml_bench {
std::vector<KernelRow> run_gpu_kernels(const KernelOptions&) {
  throw std::runtime_error("--device cuda: ml-bench was built without CUDA and cuDNN");
}
bool gpu_peaks(double&, double&) { return false; }
}  // namespace ml_bench

#else

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "base/cuda_memory.h"
#include "engine/int_buffer.h"
#include "engine/tensor.h"
#include "kernels/conv2d/conv2d.h"
#include "kernels/linear/linear.h"
#include "kernels/log_softmax_nll/log_softmax_nll.h"
#include "kernels/maxpool2d/maxpool2d.h"
#include "kernels/relu/relu.h"

namespace ml_bench {
namespace {

void check_cudnn(cudnnStatus_t s, const char* what) {
  if (s != CUDNN_STATUS_SUCCESS) throw std::runtime_error(std::string(what) + ": " + cudnnGetErrorString(s));
}
void check_cublas(cublasStatus_t s, const char* what) {
  if (s != CUBLAS_STATUS_SUCCESS) throw std::runtime_error(std::string(what) + ": cuBLAS status " + std::to_string(s));
}

ml::Tensor random_tensor(const ml::Shape& shape, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> d(-1, 1);
  std::vector<float> v(ml::shape_numel(shape));
  for (auto& x : v) x = d(gen);
  return ml::Tensor::from_vector(shape, v, ml::Device::CUDA);
}

double diff(const ml::Tensor& ours, const ml::Tensor& base) {
  return max_relative_diff(ours.to_vector(), base.to_vector());
}

cudnnTensorDescriptor_t tensor4d(int n, int c, int h, int w) {
  cudnnTensorDescriptor_t d;
  check_cudnn(cudnnCreateTensorDescriptor(&d), "cudnnCreateTensorDescriptor");
  check_cudnn(cudnnSetTensor4dDescriptor(d, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, c, h, w), "tensor descriptor");
  return d;
}

struct Handles {
  cudnnHandle_t dnn = nullptr;
  cublasHandle_t blas = nullptr;
  ml::Tensor workspace = ml::Tensor({1 << 26}, ml::Device::CUDA);  // 256 MiB for cuDNN's algorithms
  Handles() {
    check_cudnn(cudnnCreate(&dnn), "cudnnCreate");
    check_cublas(cublasCreate(&blas), "cublasCreate");
  }
  ~Handles() {
    cudnnDestroy(dnn);
    cublasDestroy(blas);
  }
  size_t workspace_bytes() const { return workspace.numel() * sizeof(float); }
};

constexpr double kF = sizeof(float);
const float kOne = 1.0f, kZero = 0.0f;

void conv_cases(KernelRunner& run, Handles& h, const KernelOptions& o, const std::string& name, int N, int C, int H,
                int K, bool first_layer) {
  ml::Conv2dShape s;
  s.N = N, s.C = C, s.H = s.W = H, s.K = K, s.R = s.S = 3;
  const int P = s.P(), Q = s.Q();
  ml::Tensor x = random_tensor({N, C, H, H}, 1), w = random_tensor({K, C, 3, 3}, 2), b = random_tensor({K}, 3);
  ml::Tensor dy = random_tensor({N, K, P, Q}, 4);
  ml::Tensor y({N, K, P, Q}, ml::Device::CUDA), y2 = y.clone(), dx({N, C, H, H}, ml::Device::CUDA), dx2 = dx.clone();
  ml::Tensor dw({K, C, 3, 3}, ml::Device::CUDA), dw2 = dw.clone(), db({K}, ml::Device::CUDA), db2 = db.clone();
  cudnnTensorDescriptor_t xd = tensor4d(N, C, H, H), yd = tensor4d(N, K, P, Q), bd = tensor4d(1, K, 1, 1);
  cudnnFilterDescriptor_t wd;
  check_cudnn(cudnnCreateFilterDescriptor(&wd), "filter descriptor");
  check_cudnn(cudnnSetFilter4dDescriptor(wd, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, K, C, 3, 3), "filter descriptor");
  cudnnConvolutionDescriptor_t cd;
  check_cudnn(cudnnCreateConvolutionDescriptor(&cd), "convolution descriptor");
  check_cudnn(cudnnSetConvolution2dDescriptor(cd, 0, 0, 1, 1, 1, 1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
              "convolution descriptor");
  check_cudnn(cudnnSetConvolutionMathType(cd, CUDNN_FMA_MATH), "math type");
  const double flops = 2.0 * N * K * P * Q * C * 9, io = kF * (x.numel() + y.numel() + w.numel());
  int found = 0;
  if (wants(o, "conv-fwd")) {
    cudnnConvolutionFwdAlgoPerf_t perf;
    check_cudnn(cudnnFindConvolutionForwardAlgorithm(h.dnn, xd, wd, cd, yd, 1, &found, &perf), "find forward algo");
    run.add(
        "conv-fwd", name, N, flops, io, "cudnn",
        [&] { ml::conv2d_forward_cuda(y.data(), x.data(), w.data(), b.data(), s); },
        [&] {
          check_cudnn(cudnnConvolutionForward(h.dnn, &kOne, xd, x.data(), wd, w.data(), cd, perf.algo,
                                              h.workspace.data(), h.workspace_bytes(), &kZero, yd, y2.data()),
                      "cudnnConvolutionForward");
          check_cudnn(cudnnAddTensor(h.dnn, &kOne, bd, b.data(), &kOne, yd, y2.data()), "cudnnAddTensor");
        },
        [&] { return diff(y, y2); });
  }
  if (wants(o, "conv-bwd-input") && !first_layer) {
    cudnnConvolutionBwdDataAlgoPerf_t perf;
    check_cudnn(cudnnFindConvolutionBackwardDataAlgorithm(h.dnn, wd, yd, cd, xd, 1, &found, &perf),
                "find backward-data algo");
    run.add(
        "conv-bwd-input", name, N, flops, io, "cudnn",
        [&] { ml::conv2d_backward_input_cuda(dx.data(), dy.data(), w.data(), s); },
        [&] {
          check_cudnn(cudnnConvolutionBackwardData(h.dnn, &kOne, wd, w.data(), yd, dy.data(), cd, perf.algo,
                                                   h.workspace.data(), h.workspace_bytes(), &kZero, xd, dx2.data()),
                      "cudnnConvolutionBackwardData");
        },
        [&] { return diff(dx, dx2); });
  }
  if (wants(o, "conv-bwd-weight")) {
    cudnnConvolutionBwdFilterAlgoPerf_t perf;
    check_cudnn(cudnnFindConvolutionBackwardFilterAlgorithm(h.dnn, xd, yd, cd, wd, 1, &found, &perf),
                "find backward-filter algo");
    run.add(
        "conv-bwd-weight", name, N, flops, io, "cudnn",
        [&] { ml::conv2d_backward_weight_cuda(dw.data(), db.data(), dy.data(), x.data(), s); },
        [&] {
          check_cudnn(cudnnConvolutionBackwardFilter(h.dnn, &kOne, xd, x.data(), yd, dy.data(), cd, perf.algo,
                                                     h.workspace.data(), h.workspace_bytes(), &kZero, wd, dw2.data()),
                      "cudnnConvolutionBackwardFilter");
          check_cudnn(cudnnConvolutionBackwardBias(h.dnn, &kOne, yd, dy.data(), &kZero, bd, db2.data()),
                      "cudnnConvolutionBackwardBias");
        },
        [&] { return std::max(diff(dw, dw2), diff(db, db2)); });
  }
  cudnnDestroyConvolutionDescriptor(cd);
  cudnnDestroyFilterDescriptor(wd);
  for (auto d : {xd, yd, bd}) cudnnDestroyTensorDescriptor(d);
}

// Row-major y[N,out] = x[N,in] W[out,in]^T is, column-major, y^T = W x^T:
// each GEMM below is the column-major form of the row-major product named.
void linear_cases(KernelRunner& run, Handles& h, const KernelOptions& o, const std::string& name, int N, int in,
                  int out) {
  ml::LinearShape s{N, in, out};
  ml::Tensor x = random_tensor({N, in}, 5), w = random_tensor({out, in}, 6), b = random_tensor({out}, 7);
  ml::Tensor dy = random_tensor({N, out}, 8), zero_bias({out}, ml::Device::CUDA);
  ml::Tensor y({N, out}, ml::Device::CUDA), y2 = y.clone(), dx({N, in}, ml::Device::CUDA), dx2 = dx.clone();
  ml::Tensor dw({out, in}, ml::Device::CUDA), dw2 = dw.clone(), db({out}, ml::Device::CUDA);
  const double flops = 2.0 * N * in * out, io = kF * (x.numel() + y.numel() + w.numel());
  if (wants(o, "linear-fwd"))  // cuBLAS has no bias: ours runs with a zero bias so both compute the same
    run.add(
        "linear-fwd", name, N, flops, io, "cublas",
        [&] { ml::linear_forward_cuda(y.data(), x.data(), w.data(), zero_bias.data(), s); },
        [&] {
          check_cublas(cublasSgemm(h.blas, CUBLAS_OP_T, CUBLAS_OP_N, out, N, in, &kOne, w.data(), in, x.data(), in,
                                   &kZero, y2.data(), out),
                       "cublasSgemm");
        },
        [&] { return diff(y, y2); });
  if (wants(o, "linear-bwd-input"))
    run.add(
        "linear-bwd-input", name, N, flops, io, "cublas",
        [&] { ml::linear_backward_input_cuda(dx.data(), dy.data(), w.data(), s); },
        [&] {
          check_cublas(cublasSgemm(h.blas, CUBLAS_OP_N, CUBLAS_OP_N, in, N, out, &kOne, w.data(), in, dy.data(), out,
                                   &kZero, dx2.data(), in),
                       "cublasSgemm");
        },
        [&] { return diff(dx, dx2); });
  if (wants(o, "linear-bwd-weight"))  // ours also sums the bias gradient
    run.add(
        "linear-bwd-weight", name, N, flops, io, "cublas",
        [&] { ml::linear_backward_weight_cuda(dw.data(), db.data(), dy.data(), x.data(), s); },
        [&] {
          check_cublas(cublasSgemm(h.blas, CUBLAS_OP_N, CUBLAS_OP_T, in, out, N, &kOne, x.data(), in, dy.data(), out,
                                   &kZero, dw2.data(), in),
                       "cublasSgemm");
        },
        [&] { return diff(dw, dw2); });
}

void pool_relu_softmax_cases(KernelRunner& run, Handles& h, const KernelOptions& o, const std::string& name, int N,
                             int C, int H) {
  ml::Pool2dShape s;
  s.N = N, s.C = C, s.H = s.W = H;
  const int P = s.P(), Q = s.Q();
  ml::Tensor x = random_tensor({N, C, H, H}, 9), dy = random_tensor({N, C, P, Q}, 10);
  ml::Tensor y({N, C, P, Q}, ml::Device::CUDA), y2 = y.clone(), dx({N, C, H, H}, ml::Device::CUDA), dx2 = dx.clone();
  ml::IntBuffer arg(y.numel(), ml::Device::CUDA);
  cudnnTensorDescriptor_t xd = tensor4d(N, C, H, H), yd = tensor4d(N, C, P, Q);
  cudnnPoolingDescriptor_t pd;
  check_cudnn(cudnnCreatePoolingDescriptor(&pd), "pooling descriptor");
  check_cudnn(cudnnSetPooling2dDescriptor(pd, CUDNN_POOLING_MAX, CUDNN_NOT_PROPAGATE_NAN, 2, 2, 0, 0, 2, 2),
              "pooling descriptor");
  const double io = kF * (x.numel() + 2.0 * y.numel());
  if (wants(o, "maxpool-fwd"))
    run.add(
        "maxpool-fwd", name, N, 3.0 * y.numel(), io, "cudnn",
        [&] { ml::maxpool2d_forward_cuda(y.data(), arg.data(), x.data(), s); },
        [&] {
          check_cudnn(cudnnPoolingForward(h.dnn, pd, &kOne, xd, x.data(), &kZero, yd, y2.data()),
                      "cudnnPoolingForward");
        },
        [&] { return diff(y, y2); });
  if (wants(o, "maxpool-bwd")) {
    ml::maxpool2d_forward_cuda(y.data(), arg.data(), x.data(), s);
    run.add(
        "maxpool-bwd", name, N, 0, io, "cudnn",
        [&] { ml::maxpool2d_backward_cuda(dx.data(), dy.data(), arg.data(), s); },
        [&] {
          check_cudnn(
              cudnnPoolingBackward(h.dnn, pd, &kOne, yd, y.data(), yd, dy.data(), xd, x.data(), &kZero, xd, dx2.data()),
              "cudnnPoolingBackward");
        },
        [&] { return diff(dx, dx2); });
  }
  cudnnActivationDescriptor_t ad;
  check_cudnn(cudnnCreateActivationDescriptor(&ad), "activation descriptor");
  check_cudnn(cudnnSetActivationDescriptor(ad, CUDNN_ACTIVATION_RELU, CUDNN_NOT_PROPAGATE_NAN, 0.0),
              "activation descriptor");
  ml::Tensor r({N, C, H, H}, ml::Device::CUDA), r2 = r.clone(), g = random_tensor({N, C, H, H}, 11);
  const std::string relu_shape = std::to_string(C * H * H) + " per sample";
  if (wants(o, "relu-fwd"))
    run.add(
        "relu-fwd", relu_shape, N, double(x.numel()), 2 * kF * x.numel(), "cudnn",
        [&] { ml::relu_forward_cuda(r.data(), x.data(), x.numel()); },
        [&] {
          check_cudnn(cudnnActivationForward(h.dnn, ad, &kOne, xd, x.data(), &kZero, xd, r2.data()),
                      "cudnnActivationForward");
        },
        [&] { return diff(r, r2); });
  if (wants(o, "relu-bwd")) {
    ml::relu_forward_cuda(r.data(), x.data(), x.numel());
    run.add(
        "relu-bwd", relu_shape, N, double(x.numel()), 3 * kF * x.numel(), "cudnn",
        [&] { ml::relu_backward_cuda(dx.data(), g.data(), r.data(), x.numel()); },
        [&] {
          check_cudnn(cudnnActivationBackward(h.dnn, ad, &kOne, xd, r.data(), xd, g.data(), xd, x.data(), &kZero, xd,
                                              dx2.data()),
                      "cudnnActivationBackward");
        },
        [&] { return diff(dx, dx2); });
  }
  if (wants(o, "log-softmax-nll")) {
    const int classes = 10;
    ml::Tensor z = random_tensor({N, classes}, 12), logp({N, classes}, ml::Device::CUDA), logp2 = logp.clone();
    ml::Tensor loss({N}, ml::Device::CUDA);
    std::vector<int32_t> host_labels(N);
    for (int i = 0; i < N; ++i) host_labels[i] = i % classes;
    ml::IntBuffer labels(N, ml::Device::CUDA);
    labels.upload(host_labels.data(), host_labels.size());
    cudnnTensorDescriptor_t zd = tensor4d(N, classes, 1, 1);
    run.add(
        "log-softmax-nll", std::to_string(classes) + " classes", N, 4.0 * N * classes, 2 * kF * z.numel(), "cudnn",
        [&] { ml::log_softmax_nll_forward_cuda(logp.data(), loss.data(), z.data(), labels.data(), N, classes); },
        [&] {
          check_cudnn(cudnnSoftmaxForward(h.dnn, CUDNN_SOFTMAX_LOG, CUDNN_SOFTMAX_MODE_INSTANCE, &kOne, zd, z.data(),
                                          &kZero, zd, logp2.data()),
                      "cudnnSoftmaxForward");
        },
        [&] { return diff(logp, logp2); });
    cudnnDestroyTensorDescriptor(zd);
  }
  cudnnDestroyActivationDescriptor(ad);
  cudnnDestroyPoolingDescriptor(pd);
  cudnnDestroyTensorDescriptor(xd);
  cudnnDestroyTensorDescriptor(yd);
}

// ---- the op table ------------------------------------------------------------------------------

ml::Tensor upload(const std::vector<float>& v) {
  return ml::Tensor::from_vector({static_cast<int>(v.size())}, v, ml::Device::CUDA);
}
ml::IntBuffer upload(const std::vector<int32_t>& v) {
  ml::IntBuffer b(v.size(), ml::Device::CUDA);
  b.upload(v.data(), v.size());
  return b;
}
// Host copies of buffers [first, end).
template <class Buffer>
auto download(const std::vector<Buffer>& buffers, size_t first) {
  std::vector<decltype(buffers[0].to_vector())> out;
  for (size_t k = first; k < buffers.size(); ++k) out.push_back(buffers[k].to_vector());
  return out;
}

// A table row's buffers on the device: HostOpBuffers's values uploaded, `ours` and `base` as there.
struct DeviceOpBuffers {
  explicit DeviceOpBuffers(const HostOpBuffers& host)
      : first_float_out(host.first_float_out), first_int_out(host.first_int_out) {
    for (const auto& v : host.f) f.push_back(upload(v));
    for (const auto& v : host.f_base) f_base.push_back(upload(v));
    for (const auto& v : host.i) i.push_back(upload(v));
    for (const auto& v : host.i_base) i_base.push_back(upload(v));
    ours = base = host.ours;
    for (size_t k = 0; k < f.size(); ++k) {
      ours.f[k] = f[k].data();
      base.f[k] = k < first_float_out ? f[k].data() : f_base[k - first_float_out].data();
    }
    for (size_t k = 0; k < i.size(); ++k) {
      ours.i[k] = i[k].data();
      base.i[k] = k < first_int_out ? i[k].data() : i_base[k - first_int_out].data();
    }
  }
  // ours's outputs against the reference outputs given (max_relative_diff; 1 where ints differ)
  double ours_against(const std::vector<std::vector<float>>& ref_floats,
                      const std::vector<std::vector<int32_t>>& ref_ints) const {
    return HostOpBuffers::outputs_diff(download(f, first_float_out), ref_floats, download(i, first_int_out), ref_ints);
  }

  size_t first_float_out, first_int_out;
  std::vector<ml::Tensor> f, f_base;
  std::vector<ml::IntBuffer> i, i_base;
  OpArgs ours, base;
};

// The cuDNN descriptors a baseline holds while it is timed.
struct CudnnDescriptors {
  std::vector<cudnnTensorDescriptor_t> tensors;
  cudnnPoolingDescriptor_t pooling = nullptr;
  std::vector<ml::Tensor> scratch;
  cudnnTensorDescriptor_t add(int n, int c, int h, int w) { return tensors.emplace_back(tensor4d(n, c, h, w)); }
  ~CudnnDescriptors() {
    for (auto d : tensors) cudnnDestroyTensorDescriptor(d);
    if (pooling) cudnnDestroyPoolingDescriptor(pooling);
  }
};

struct GpuBaseline {
  std::string name;                   // "cudnn" or "cublas"
  std::function<void()> call;         // on the row's `base` buffers
  std::shared_ptr<CudnnDescriptors> state = nullptr;
};
using GpuBaselineMaker = std::function<GpuBaseline(Handles&, const OpArgs&)>;

// Global average pooling as cuDNN's average pooling over the whole plane.
std::shared_ptr<CudnnDescriptors> whole_plane_pooling(const OpArgs& a) {
  auto d = std::make_shared<CudnnDescriptors>();
  d->add(a.N, a.d.C, a.d.H, a.d.W);  // x
  d->add(a.N, a.d.C, 1, 1);          // y
  check_cudnn(cudnnCreatePoolingDescriptor(&d->pooling), "pooling descriptor");
  check_cudnn(cudnnSetPooling2dDescriptor(d->pooling, CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING,
                                          CUDNN_NOT_PROPAGATE_NAN, a.d.H, a.d.W, 0, 0, a.d.H, a.d.W),
              "pooling descriptor");
  return d;
}

// By op name: the library call doing what the row's CUDA entry point does (same buffers, same scalars).
const std::map<std::string, GpuBaselineMaker>& gpu_baselines() {
  static const std::map<std::string, GpuBaselineMaker> makers = {
      {"channel-bias-add",  // y += b broadcast over n, hw
       [](Handles& h, const OpArgs& a) {
         auto d = std::make_shared<CudnnDescriptors>();
         const auto bd = d->add(1, a.d.C, 1, 1), yd = d->add(a.N, a.d.C, a.d.H, a.d.W);
         return GpuBaseline{"cudnn", [&h, a, bd, yd] {
                              check_cudnn(cudnnAddTensor(h.dnn, &kOne, bd, a.f[0], &kOne, yd, a.f[1]),
                                          "cudnnAddTensor");
                            }, d};
       }},
      {"channel-bias-grad",
       [](Handles& h, const OpArgs& a) {
         auto d = std::make_shared<CudnnDescriptors>();
         const auto yd = d->add(a.N, a.d.C, a.d.H, a.d.W), bd = d->add(1, a.d.C, 1, 1);
         return GpuBaseline{"cudnn", [&h, a, bd, yd] {
                              check_cudnn(cudnnConvolutionBackwardBias(h.dnn, &kOne, yd, a.f[0], &kZero, bd, a.f[1]),
                                          "cudnnConvolutionBackwardBias");
                            }, d};
       }},
      {"axpby",  // y = b y, then y += a x
       [](Handles& h, const OpArgs& a) {
         const int n = static_cast<int>(a.n());
         return GpuBaseline{"cublas", [&h, a, n, alpha = OpScalars::axpby_a, beta = OpScalars::axpby_b] {
                              check_cublas(cublasSscal(h.blas, n, &beta, a.f[1], 1), "cublasSscal");
                              check_cublas(cublasSaxpy(h.blas, n, &alpha, a.f[0], 1, a.f[1], 1), "cublasSaxpy");
                            }};
       }},
      {"global-avg-pool-fwd",
       [](Handles& h, const OpArgs& a) {
         auto d = whole_plane_pooling(a);
         return GpuBaseline{"cudnn", [&h, a, p = d.get()] {
                              check_cudnn(cudnnPoolingForward(h.dnn, p->pooling, &kOne, p->tensors[0], a.f[0], &kZero,
                                                              p->tensors[1], a.f[1]),
                                          "cudnnPoolingForward");
                            }, d};
       }},
      {"global-avg-pool-bwd",  // cuDNN wants the forward's x and y: scratch of their sizes (averaging reads neither)
       [](Handles& h, const OpArgs& a) {
         auto d = whole_plane_pooling(a);
         d->scratch.emplace_back(ml::Shape{a.N, a.d.C, a.d.H, a.d.W}, ml::Device::CUDA);
         d->scratch.emplace_back(ml::Shape{a.N, a.d.C}, ml::Device::CUDA);
         return GpuBaseline{"cudnn", [&h, a, p = d.get()] {
                              check_cudnn(cudnnPoolingBackward(h.dnn, p->pooling, &kOne, p->tensors[1],
                                                               p->scratch[1].data(), p->tensors[1], a.f[0],
                                                               p->tensors[0], p->scratch[0].data(), &kZero,
                                                               p->tensors[0], a.f[1]),
                                          "cudnnPoolingBackward");
                            }, d};
       }},
      {"scale-rows",  // row-major [rows][row] is column-major row x rows: scale its columns
       [](Handles& h, const OpArgs& a) {
         const int rows = a.N * a.d.extra, row = a.d.C * a.HW();
         return GpuBaseline{"cublas", [&h, a, rows, row] {
                              check_cublas(cublasSdgmm(h.blas, CUBLAS_SIDE_RIGHT, row, rows, a.f[0], row, a.f[1], 1,
                                                       a.f[2], row),
                                           "cublasSdgmm");
                            }};
       }},
  };
  return makers;
}

void table_case(KernelRunner& run, Handles& h, const TableOp& t, const OpDims& dims, int N) {
  HostOpBuffers host(t, N, dims);
  DeviceOpBuffers dev(host);
  const auto maker = gpu_baselines().find(t.op);
  const GpuBaseline base = maker != gpu_baselines().end() ? maker->second(h, dev.base) : GpuBaseline{};
  std::function<double()> compare = [&] {  // no library call: against our CPU entry point on the same values
    t.cpu(host.ours);
    return dev.ours_against({host.f.begin() + host.first_float_out, host.f.end()},
                            {host.i.begin() + host.first_int_out, host.i.end()});
  };
  if (base.call) compare = [&] { return dev.ours_against(download(dev.f_base, 0), download(dev.i_base, 0)); };
  run.add(
      t.op, dims.label, t.batched ? N : 0, host.layout.flops, host.layout.bytes, base.name,
      [&] { t.cuda(dev.ours); }, base.call, compare);
}

}  // namespace

// 128 FP32 lanes per SM (Ampere and Hopper), an FMA counted as 2 flops; DDR: 2
// transfers per memory clock.
bool gpu_peaks(double& gflops, double& gbs) {
  int device = 0, sms = 0, clock_khz = 0, mem_khz = 0, bus_bits = 0;
  if (cudaGetDevice(&device) != cudaSuccess) return false;
  cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
  cudaDeviceGetAttribute(&clock_khz, cudaDevAttrClockRate, device);
  cudaDeviceGetAttribute(&mem_khz, cudaDevAttrMemoryClockRate, device);
  cudaDeviceGetAttribute(&bus_bits, cudaDevAttrGlobalMemoryBusWidth, device);
  gflops = 2.0 * 128 * sms * clock_khz / 1e6;
  gbs = 2.0 * mem_khz * (bus_bits / 8.0) / 1e6;
  return gflops > 0 && gbs > 0;
}

std::vector<KernelRow> run_gpu_kernels(const KernelOptions& o) {
  Handles h;
  KernelRunner run(o, "cuda", [] { ml::cuda_synchronize(); });
  for (int N : o.batches) {
    if (o.shapes == "tiny") {
      conv_cases(run, h, o, "conv 2->4 k3 8x8", N, 2, 8, 4, false);
      linear_cases(run, h, o, "fc 16->8", N, 16, 8);
      pool_relu_softmax_cases(run, h, o, "pool 2x8x8", N, 2, 8);
    } else if (o.shapes == "lenet") {
      conv_cases(run, h, o, "conv1 1->32 k3 28x28", N, 1, 28, 32, true);
      conv_cases(run, h, o, "conv2 32->64 k3 26x26", N, 32, 26, 64, false);
      linear_cases(run, h, o, "fc1 9216->128", N, 9216, 128);
      linear_cases(run, h, o, "fc2 128->10", N, 128, 10);
      pool_relu_softmax_cases(run, h, o, "pool 64x24x24", N, 64, 24);
    } else if (o.shapes == "sweep") {
      for (int c : {16, 32, 64, 128})
        conv_cases(run, h, o, "conv " + std::to_string(c) + "->" + std::to_string(c) + " k3 32x32", N, c, 32, c, false);
      for (int f : {256, 1024, 4096})
        linear_cases(run, h, o, "fc " + std::to_string(f) + "->" + std::to_string(f), N, f, f);
      pool_relu_softmax_cases(run, h, o, "pool 128x16x16", N, 128, 16);
    } else {
      throw std::invalid_argument("--shapes '" + o.shapes + "': expected lenet, sweep or tiny");
    }
  }
  for (int N : o.batches)
    for (const auto& t : op_table())
      if (t.batched && wants(o, t.op))
        for (const auto& d : op_shapes(t, o.shapes)) table_case(run, h, t, d, N);
  for (const auto& t : op_table())
    if (!t.batched && wants(o, t.op))
      for (const auto& d : op_shapes(t, o.shapes)) table_case(run, h, t, d, 1);
  return run.rows;
}

}  // namespace ml_bench

#endif
