#!/usr/bin/env bash
# Smoke runs of the libFuzzer targets (fuzz/): clang, in build-fuzz/
# (ML_FUZZ=ON), each target over its committed corpus and regressions, then
# ML_FUZZ_RUNS (default 20000) new inputs from a fixed seed, so that CI is
# reproducible, under ctest -L fuzz. A crash, overread,
# hang or runaway allocation fails the test; the input that caused it is
# left in build-fuzz/fuzz-artifacts/.
# Longer by hand: ML_FUZZ_RUNS=-1 ML_FUZZ_SECONDS=600 bash scripts/test-fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DML_FUZZ=ON -DML_FUZZ_SECONDS="${ML_FUZZ_SECONDS:-120}" \
  -DML_FUZZ_RUNS="${ML_FUZZ_RUNS:-20000}" > /dev/null
cmake --build build-fuzz -j "$(nproc)"
cd build-fuzz
ctest --output-on-failure -j "$(nproc)" -L fuzz
