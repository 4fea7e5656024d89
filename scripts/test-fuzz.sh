#!/usr/bin/env bash
# Smoke runs of the libFuzzer targets (fuzz/): clang, in build-fuzz/
# (ML_FUZZ=ON), each target for ML_FUZZ_SECONDS seconds (default 10) over its
# committed corpus and regressions, under ctest -L fuzz. A crash, overread,
# hang or runaway allocation fails the test; the input that caused it is
# left in build-fuzz/fuzz-artifacts/.
# Longer by hand: ML_FUZZ_SECONDS=600 bash scripts/test-fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DML_FUZZ=ON -DML_FUZZ_SECONDS="${ML_FUZZ_SECONDS:-10}" > /dev/null
cmake --build build-fuzz -j "$(nproc)"
cd build-fuzz
ctest --output-on-failure -j "$(nproc)" -L fuzz
