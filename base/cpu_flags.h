// CPU floating-point mode for training.
#pragma once

namespace ml {

// Flushes denormal floats to zero (FTZ and DAZ) on the calling thread and on
// every OpenMP worker. Without it a confident network's softmax produces
// denormals (exp(-90) ~ 1e-39) that flow through every backward GEMM and slow
// the CPU path ~4x; flushed, they become 0, deterministically.
void flush_denormals_to_zero();

}  // namespace ml
