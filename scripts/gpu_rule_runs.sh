#!/usr/bin/env bash
# The rule comparisons of docs/RESULTS.md that are too slow for a 2-core CPU,
# trained on one GPU several at a time: 15 epochs of the seed LeNet (and the
# perturbation rules' 784-100-10 MLP) on Fashion-MNIST, SGD momentum 0.9,
# batch 64, seed 1, each rule at the learning rates named below.
# Runs go to RUNS_DIR/<name>/ (metrics.csv per epoch, alignment.csv, ...);
# a run still going at the deadline is stopped, its finished epochs kept.
# Usage: scripts/gpu_rule_runs.sh ML_TRAIN FASHION_MNIST_DIR RUNS_DIR [--jobs 12] [--deadline SECONDS]
set -uo pipefail
case "${1:-}" in -h|--help) sed -n '2,8p' "$0"; exit 0;; esac
if [ $# -lt 3 ]; then echo "gpu_rule_runs.sh: expected ML_TRAIN FASHION_MNIST_DIR RUNS_DIR (see --help)" >&2; exit 2; fi
ml_train=$1 data=$2 runs=$3
shift 3
jobs=12 deadline=480
while [ $# -gt 0 ]; do
  case "$1" in
    --jobs) jobs=$2; shift 2;;
    --deadline) deadline=$2; shift 2;;
    *) echo "gpu_rule_runs.sh: unknown argument '$1'" >&2; exit 2;;
  esac
done
mkdir -p "$runs"
common="--data fashion-mnist --data-dir $data --device cuda --epochs 15 --batch 64 --optimizer sgd --momentum 0.9 --seed 1 --no-progress"
lenet="--arch lenet --align-every 200"
mlp="--arch flatten-fc100-relu-fc10"
# name|flags: the longest and the most wanted first, so they start at once
cat > "$runs/plan.txt" <<EOF
pc-T10|$lenet --rule pc --lr 0.01 --inference-steps 10 --inference-lr 0.5 --pc-beta 0.1
pcn-bptt|--arch pcn --rule bptt --lr 0.01
wm-lr0.003-m5000|$lenet --rule weight-mirror --lr 0.003 --mirror-steps 5000
wm-lr0.002|$lenet --rule weight-mirror --lr 0.002
wm-lr0.001-m5000|$lenet --rule weight-mirror --lr 0.001 --mirror-steps 5000
wm-lr0.003-fast|$lenet --rule weight-mirror --lr 0.003 --mirror-lr 0.01 --mirror-decay 0.01 --mirror-samples 128 --mirror-steps 3000
dfa-lr0.002|$lenet --rule dfa --lr 0.002
dfa-lr0.004|$lenet --rule dfa --lr 0.004
dfa-lr0.005|$lenet --rule dfa --lr 0.005
dfa-lr0.003-wd5e-4|$lenet --rule dfa --lr 0.003 --weight-decay 0.0005
bp|$lenet --rule bp --lr 0.01
np-K1|$lenet --rule node-perturbation --lr 0.0001
np-K8|$lenet --rule node-perturbation --lr 0.0003 --perturbations 8
wp-K1|$lenet --rule weight-perturbation --lr 0.00003
mlp-bp|$mlp --rule bp --lr 0.01
mlp-np-K1|$mlp --rule node-perturbation --lr 0.0003
mlp-np-K8|$mlp --rule node-perturbation --lr 0.003 --perturbations 8
mlp-wp-K1|$mlp --rule weight-perturbation --lr 0.0001
ldrl-lr0.01|$lenet --rule ldrl --lr 0.01
ldrl-lr0.001|$lenet --rule ldrl --lr 0.001
EOF
export OMP_NUM_THREADS=1
run_one() {
  local name=${1%%|*} flags=${1#*|}
  local left=$(( END_AT - $(date +%s) ))
  if [ "$left" -lt 10 ]; then echo "$name skipped: deadline"; return; fi
  # shellcheck disable=SC2086
  timeout "$left" "$ML_TRAIN" $COMMON $flags --out "$RUNS/$name" > "$RUNS/$name.log" 2>&1
  echo "$name rc $? $(tail -n 1 "$RUNS/$name/metrics.csv" 2>/dev/null)"
}
export -f run_one
export ML_TRAIN=$ml_train COMMON=$common RUNS=$runs END_AT=$(( $(date +%s) + deadline ))
xargs -d '\n' -P "$jobs" -I{} bash -c 'run_one "$@"' _ {} < "$runs/plan.txt"
