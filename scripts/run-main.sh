#!/usr/bin/env bash
# The README's main job: set up a fresh Debian machine, build, and run the study
# on Fashion-MNIST: every learning rule trained on the seed LeNet, recorded on the
# same probe images and compared -> results/study/report.html, results/study/summary.csv.
# The quick preset on a machine without GPU (minutes on 2 cores), the full one
# with a GPU. Extra arguments go to ml-study (e.g. --preset full, --seeds 3).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
exec build/ml-study --data fashion-mnist --out results/study "$@"
