#!/usr/bin/env bash
# Everything worth running on a lent GPU machine, in one command of about 2
# minutes, with no build and no install there: the GPU tests (plain, then under
# compute-sanitizer memcheck while time is left), the kernel benchmarks against
# cuDNN/cuBLAS, every rule's training throughput, two epochs of ml-train on the
# GPU, PyTorch training the same LeNet on the same GPU (eager; after memcheck, compiled:
# reduce-overhead's CUDA graphs and max-autotune, as the budget allows), and ml-study's
# quick preset with 12 runs at once (--jobs) when time is left.
# The programs are built elsewhere (scripts/build.sh -DCMAKE_CUDA_ARCHITECTURES=90)
# and found in BIN_DIR (ml-train, ml-bench, gpu_test_*; default build/ and
# build/tests). Logs and CSV go to ${OUT:-gpu-results}/, packed at the end of each
# step into results.tar.gz (a lease returns few files).
# Usage: benchmarks/gpu_session.sh [BIN_DIR [FASHION_MNIST_DIR]] [--budget SECONDS]
set -uo pipefail
cd "$(dirname "$0")/.."
budget=330
positional=()
while [ $# -gt 0 ]; do
  case "$1" in
    --budget) budget=$2; shift 2;;
    -h|--help) sed -n '2,11p' "$0"; exit 0;;
    *) positional+=("$1"); shift;;
  esac
done
bin=${positional[0]:-build}
data=${positional[1]:-/usr/share/datasets/fashion-mnist}
tests_dir=$bin/tests; [ -d "$tests_dir" ] || tests_dir=$bin
out=${OUT:-gpu-results}
logs=$out/logs
mkdir -p "$logs"
start=$(date +%s)
elapsed() { echo $(( $(date +%s) - start )); }
left() { echo $(( budget - $(elapsed) )); }
pack() { tar -C "$out" -czf "$out/results.tar.gz.tmp" logs && mv "$out/results.tar.gz.tmp" "$out/results.tar.gz"; }
step() { echo "== [$(elapsed)s] $*"; }

step "machine"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader | tee "$logs/nvidia-smi.txt"
missing=$(ldd "$bin/ml-train" "$bin/ml-bench" 2>&1 | grep "not found" | sort -u)
[ -n "$missing" ] && echo "missing libraries: $missing"

step "GPU tests"
for t in "$tests_dir"/gpu_test_*; do
  name=$(basename "$t")
  timeout 90 "$t" > "$logs/$name.log" 2>&1
  rc=$?
  summary=$(grep -E "^(All tests passed|test cases:)" "$logs/$name.log" | tail -n 1)
  if [ $rc -eq 0 ]; then echo "PASS $name: $summary"; else echo "FAIL($rc) $name: $summary"; fi
done | tee "$logs/gpu-tests.txt"
grep -h -B2 -A12 "FAILED:" "$logs"/gpu_test_*.log | head -n 150
pack

step "kernels, LeNet shapes"
timeout 100 "$bin/ml-bench" kernels --device cuda --shapes lenet --batch 64,256 --csv "$logs/kernels-lenet.csv" \
  > "$logs/kernels-lenet.md" 2> "$logs/kernels-lenet.err"
echo "rc $?"; cat "$logs/kernels-lenet.md"; tail -n 3 "$logs/kernels-lenet.err"
pack

step "training throughput per rule (synthetic data, batch 64)"
for rule in bp fa dfa sign-symmetry weight-mirror kolen-pollack dtp ddtp ldrl pc node-perturbation weight-perturbation; do
  timeout 30 "$bin/ml-bench" train --device cuda --data synthetic --rule "$rule" --batch 64 --batches 200 \
    --csv "$logs/train-$rule.csv" > "$logs/train-$rule.txt" 2>&1
  echo "rc $? $(grep -E 'samples/s|per batch|error' "$logs/train-$rule.txt" | tr '\n' ' ')"
done
timeout 30 "$bin/ml-bench" train --device cuda --data synthetic --rule bptt --arch pcn --batch 64 --batches 100 \
  --csv "$logs/train-bptt.csv" > "$logs/train-bptt.txt" 2>&1
echo "rc $? $(grep -E 'samples/s|per batch|error' "$logs/train-bptt.txt" | tr '\n' ' ')"
pack

step "ml-train bp, 2 epochs of Fashion-MNIST on the GPU"
timeout 90 "$bin/ml-train" --rule bp --device cuda --data-dir "$data" --epochs 2 --no-progress \
  --out "$logs/run-bp" > "$logs/train-epochs.txt" 2>&1
echo "rc $?"; tail -n 4 "$logs/train-epochs.txt"; cat "$logs/run-bp/metrics.csv" 2>/dev/null
pack

step "PyTorch, same LeNet, same GPU, batch 64, strict FP32, eager"
PYTHONUNBUFFERED=1 timeout 120 python3 benchmarks/pytorch_lenet.py --mode throughput --device cuda --batch 64 \
  --samples 60000 --data-dir "$data" > "$logs/pytorch-none.txt" 2>&1
echo "rc $?"; tail -n 1 "$logs/pytorch-none.txt"
pack

sanitizer=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
step "memcheck ($sanitizer)"
for t in "$tests_dir"/gpu_test_*; do
  name=$(basename "$t")
  remaining=$(left)
  if [ "$remaining" -lt 20 ]; then echo "memcheck skipped (time): $name"; continue; fi
  limit=$(( remaining < 60 ? remaining : 60 ))
  timeout "$limit" "$sanitizer" --tool memcheck --error-exitcode 1 "$t" > "$logs/memcheck-$name.log" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then echo "memcheck ok: $name"; else echo "memcheck rc $rc: $name $(grep -m1 -E 'Invalid|ERROR' "$logs/memcheck-$name.log")"; fi
done | tee "$logs/memcheck.txt"
pack

step "PyTorch compiled (reduce-overhead: CUDA graphs; max-autotune), same run, strict FP32"
for mode in reduce-overhead max-autotune; do
  limit=$(left); [ "$limit" -gt 240 ] && limit=240
  if [ "$limit" -lt 60 ]; then echo "$mode skipped: budget"; continue; fi
  PYTHONUNBUFFERED=1 timeout "$limit" python3 benchmarks/pytorch_lenet.py --mode throughput --device cuda --batch 64 \
    --samples 60000 --compile "$mode" --data-dir "$data" > "$logs/pytorch-$mode.txt" 2>&1
  echo "rc $? $mode: $(tail -n 1 "$logs/pytorch-$mode.txt")"
  pack
done

if [ "$(left)" -gt 90 ]; then
  step "ml-study, quick preset on the GPU, 12 runs at once (--jobs)"
  timeout $(( $(left) - 20 )) "$bin/ml-study" --preset quick --device cuda --jobs 12 --data-dir "$data" \
    --out "$logs/study-quick" > "$logs/study-quick.txt" 2>&1
  echo "rc $?"; grep -E "run\(s\) in|error|failed" "$logs/study-quick.txt"
  rm -rf "$logs/study-quick/runs"  # the acts are large; the report and summary stay
  pack
fi

if [ "$(left)" -gt 40 ]; then
  step "kernels, size sweep"
  timeout $(( $(left) - 10 )) "$bin/ml-bench" kernels --device cuda --shapes sweep --batch 64 \
    --csv "$logs/kernels-sweep.csv" > "$logs/kernels-sweep.md" 2> "$logs/kernels-sweep.err"
  echo "rc $?"; head -n 40 "$logs/kernels-sweep.md"
  pack
fi
step "done"
