#!/usr/bin/env bash
# End-to-end training throughput of the seed LeNet (batch 64) on this machine's
# CPU: microlearning's ml-train against PyTorch doing the same training, in the
# same run. Installs the benchmark-only packages (python3-torch and the
# pthread OpenBLAS that Debian's torch/numpy need to run at full speed).
# Usage: benchmarks/train_throughput.sh [samples=12800] [threads=2]
set -euo pipefail
cd "$(dirname "$0")/.."
samples=${1:-12800}
threads=${2:-2}

bash scripts/setup.sh
need=()
for p in python3-torch libopenblas0-pthread python3-numpy; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
bash scripts/build.sh > /dev/null

blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 || true)
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; BLAS for numpy/torch: $blas"
case "$blas" in
  *openblas-pthread*) ;;
  *) echo "WARNING: the reference BLAS is in use; PyTorch's figure is void (install libopenblas0-pthread)";;
esac

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
OMP_NUM_THREADS=$threads build/ml-train --rule bp --data fashion-mnist --arch lenet --epochs 1 --batch 64 \
  --optimizer sgd --lr 0.01 --momentum 0.9 --seed 1 --device cpu --limit "$samples" --no-progress \
  --out "$out/run" 2> /dev/null
ours=$(tail -n 1 "$out/run/metrics.csv" | cut -d, -f7)
echo "microlearning ($(git rev-parse --short HEAD)) threads $threads batch 64: $ours samples/s ($samples samples)"

theirs_line=$(/usr/bin/python3 benchmarks/pytorch_lenet.py --mode throughput --threads "$threads" --samples "$samples")
echo "$theirs_line"
theirs=$(echo "$theirs_line" | sed -n 's/.*: \([0-9.]*\) samples\/s.*/\1/p')
python3 -c "print(f'ratio microlearning / pytorch: {float($ours)/float($theirs):.2f}')"
