#!/usr/bin/env bash
# The rule comparisons of docs/RESULTS.md that are too slow for a 2-core CPU,
# trained on one GPU several at a time: 15 epochs of the seed LeNet (and the
# perturbation rules' 784-100-10 MLP) on Fashion-MNIST, SGD momentum 0.9,
# batch 64, seed 1, each run's own flags from a plan in scripts/gpu_plans/
# (default next.txt: the runs the open issues still need; 2026-12-04.txt: the
# runs behind docs/RESULTS.md's GPU table). Runs go to RUNS_DIR/<name>/
# (metrics.csv per epoch, alignment.csv, ...); a run still going at the
# deadline is stopped, its finished epochs kept.
# Usage: scripts/gpu_rule_runs.sh ML_TRAIN FASHION_MNIST_DIR RUNS_DIR [--jobs 12] [--deadline SECONDS] [--plan FILE]
set -uo pipefail
case "${1:-}" in -h|--help) sed -n '2,11p' "$0"; exit 0;; esac
if [ $# -lt 3 ]; then echo "gpu_rule_runs.sh: expected ML_TRAIN FASHION_MNIST_DIR RUNS_DIR (see --help)" >&2; exit 2; fi
ml_train=$1 data=$2 runs=$3
shift 3
jobs=12 deadline=480 plan=$(dirname "$0")/gpu_plans/next.txt
while [ $# -gt 0 ]; do
  case "$1" in
    --jobs) jobs=$2; shift 2;;
    --deadline) deadline=$2; shift 2;;
    --plan) plan=$2; shift 2;;
    *) echo "gpu_rule_runs.sh: unknown argument '$1'" >&2; exit 2;;
  esac
done
if [ ! -r "$plan" ]; then echo "gpu_rule_runs.sh: --plan '$plan': cannot read it" >&2; exit 2; fi
mkdir -p "$runs"
# The optimizer flags as bp's defaults, which every rule had when these plans were written (ml-train now gives
# each rule its own); a plan line's own flags come later and override them.
common="--data fashion-mnist --data-dir $data --device cuda --epochs 15 --batch 64 --optimizer sgd --momentum 0.9 --seed 1 --no-progress"
common="$common --lr 0.01 --lr-schedule constant --clip-grad-norm 0 --weight-decay 0"
# 5,000 training images held out (ml-study's full preset): each run is read at its validation-selected epoch
# (metrics.csv's val_acc, model_best.safetensors), never at the test set's best.
common="$common --val 5000"
lenet="--arch lenet --align-every 200"
mlp="--arch flatten-fc100-relu-fc10"
# The plan: one run per line, "name|flags" ($LENET, $MLP: the two networks
# above), longest and most wanted first so they start at once; # comments.
grep -v '^[[:space:]]*\(#\|$\)' "$plan" | sed -e "s|\$LENET|$lenet|g" -e "s|\$MLP|$mlp|g" > "$runs/plan.txt"
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
