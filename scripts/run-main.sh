#!/usr/bin/env bash
# The README's main job: set up a fresh Debian machine, build, and train the seed
# LeNet with backprop on Fashion-MNIST (runs/bp/: metrics.csv, config.json,
# model.safetensors). Extra arguments are passed to ml-train (e.g. --epochs 1).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
exec build/ml-train --rule bp --data fashion-mnist --arch lenet --epochs 15 --batch 64 \
  --optimizer sgd --lr 0.01 --momentum 0.9 --seed 1 --device auto --out runs/bp "$@"
