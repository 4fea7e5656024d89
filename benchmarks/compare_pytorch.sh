#!/usr/bin/env bash
# End-to-end training throughput of the seed LeNet: microlearning's ml-train
# against PyTorch training the same network with the same batch size, thread
# count and device, in one run; prints both and the ratio.
# On the CPU it installs the benchmark-only packages (Debian's python3-torch and
# the pthread OpenBLAS that torch/numpy need to run at full speed); on a GPU it
# uses the PyTorch already installed there.
# Usage: benchmarks/compare_pytorch.sh [--device cpu|cuda] [--samples 12800] [--threads 2] [--batch 64]
set -euo pipefail
cd "$(dirname "$0")/.."
device=cpu samples=12800 threads=2 batch=64
while [ $# -gt 0 ]; do
  case "$1" in
    --device) device=$2; shift 2;;
    --samples) samples=$2; shift 2;;
    --threads) threads=$2; shift 2;;
    --batch) batch=$2; shift 2;;
    -h|--help) sed -n '2,9p' "$0"; exit 0;;
    *) echo "compare_pytorch.sh: unknown argument '$1' (see --help)" >&2; exit 2;;
  esac
done
case "$device" in cpu|cuda) ;; *) echo "compare_pytorch.sh: --device '$device': expected cpu or cuda" >&2; exit 2;; esac

bash scripts/setup.sh
if [ "$device" = cpu ]; then
  need=()
  for p in python3-torch libopenblas0-pthread python3-numpy; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
  done
  if [ ${#need[@]} -gt 0 ]; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
  fi
  python=/usr/bin/python3
  blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 || true)
  echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; BLAS for numpy/torch: $blas"
  case "$blas" in
    *openblas-pthread*) ;;
    *) echo "WARNING: the reference BLAS is in use; PyTorch's figure is void (install libopenblas0-pthread)";;
  esac
else
  python=python3  # the PyTorch installed on the GPU machine
  nvidia-smi --query-gpu=name --format=csv,noheader || true
fi
bash scripts/build.sh > /dev/null
build/ml-bench train --device "$device" --batch "$batch" --batches 5 --warmup 1 | head -n 1  # which GEMM / device

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
OMP_NUM_THREADS=$threads build/ml-train --rule bp --data fashion-mnist --arch lenet --epochs 1 --batch "$batch" \
  --optimizer sgd --lr 0.01 --momentum 0.9 --seed 1 --device "$device" --limit "$samples" --no-progress \
  --out "$out/run" 2> /dev/null
ours=$(tail -n 1 "$out/run/metrics.csv" | cut -d, -f7)
echo "microlearning ($(git rev-parse --short HEAD 2>/dev/null || echo unknown)) $device threads $threads batch $batch: $ours samples/s ($samples samples, its first epoch)"

theirs_line=$($python benchmarks/pytorch_lenet.py --mode throughput --device "$device" --threads "$threads" \
  --batch "$batch" --samples "$samples")
echo "$theirs_line"
theirs=$(echo "$theirs_line" | sed -n 's/.*: \([0-9.]*\) samples\/s.*/\1/p')
python3 -c "print(f'ratio microlearning / pytorch: {float($ours)/float($theirs):.2f}')"
