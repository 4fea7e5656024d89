#!/usr/bin/env bash
# Training throughput of every learning rule on the seed LeNet (batch 64, CPU,
# one epoch over the first N Fashion-MNIST samples; alignment logging and the
# weight-mirror phase are not counted). Usage: benchmarks/rules_throughput.sh [N=6400]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-6400}
bash scripts/build.sh > /dev/null  # incremental: the binary must match the sources
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "rule,samples_per_s"
for rule in bp fa dfa sign-symmetry weight-mirror kolen-pollack; do
  build/ml-train --rule "$rule" --epochs 1 --limit "$n" --batch 64 --device cpu --no-progress \
    --out "$out/$rule" 2> /dev/null
  echo "$rule,$(tail -n 1 "$out/$rule/metrics.csv" | cut -d, -f7)"
done
