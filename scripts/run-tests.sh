#!/usr/bin/env bash
# The README's test command: set up a fresh Debian machine, build, run every test.
# GPU tests (label gpu) are skipped where no GPU is present.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests
bash scripts/build.sh
(cd build && ctest --output-on-failure -j "$(nproc)" --timeout 900)
# Then the CPU tests again under ASan + UBSan, and the fuzz targets' smoke runs
# (README, "What is guaranteed"); each prints its own ctest summary.
bash scripts/test-sanitizers.sh
bash scripts/test-fuzz.sh
