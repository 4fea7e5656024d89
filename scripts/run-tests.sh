#!/usr/bin/env bash
# The README's test command: set up a fresh Debian machine, build, run every test.
# GPU tests (label gpu) are skipped where no GPU is present.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests
# The CUDA code is compiled for the GPU present, or, without one (CI), for one architecture only: enough to
# show it compiles, at half the nvcc time of the default two.
cuda_arch=-DCMAKE_CUDA_ARCHITECTURES=90
if nvidia-smi -L > /dev/null 2>&1; then cuda_arch=-DCMAKE_CUDA_ARCHITECTURES=native; fi
bash scripts/build.sh "$cuda_arch"
(cd build && ctest --output-on-failure -j "$(nproc)" --timeout 900)
# Then the CPU tests again under ASan + UBSan, and the fuzz targets' smoke runs
# (README, "What is guaranteed"); each prints its own ctest summary.
bash scripts/test-sanitizers.sh
bash scripts/test-fuzz.sh
