// ML_HOST_DEVICE: a function compiled for both the CPU and the GPU when nvcc
// compiles it, for the CPU alone otherwise (headers shared by .cpp and .cu files).
#pragma once

#ifdef __CUDACC__
#define ML_HOST_DEVICE __host__ __device__
#else
#define ML_HOST_DEVICE
#endif
