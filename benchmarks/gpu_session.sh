#!/usr/bin/env bash
# Everything worth running on a lent GPU machine, in one command (about 10
# minutes): the GPU tests (plain and under compute-sanitizer memcheck, issue 11),
# the kernel benchmarks against cuDNN/cuBLAS, every
# rule's training throughput, and PyTorch on the same GPU. Results go to
# ${OUT:-gpu-results}/ (CSV and logs), ready to be copied into benchmarks/RESULTS.md.
# Usage: benchmarks/gpu_session.sh   (after scripts/setup.sh and scripts/build.sh)
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-gpu-results}
mkdir -p "$out"
nvidia-smi > "$out/nvidia-smi.txt" 2>&1
(cd build && ctest -L gpu --output-on-failure --timeout 300) > "$out/ctest-gpu.log" 2>&1
tail -n 5 "$out/ctest-gpu.log"
sanitizer=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
if [ -x "$sanitizer" ]; then
  for t in build/tests/gpu_test_*; do
    "$sanitizer" --tool memcheck --error-exitcode 1 "$t" > "$out/memcheck-$(basename "$t").log" 2>&1 \
      && echo "memcheck ok: $(basename "$t")" || echo "memcheck FAILED: $(basename "$t")"
  done | tee "$out/memcheck.txt"
fi
build/ml-bench kernels --device cuda --shapes lenet --batch 64,256 --csv "$out/kernels-lenet.csv" \
  > "$out/kernels-lenet.md" 2> "$out/kernels-lenet.err"
build/ml-bench kernels --device cuda --shapes sweep --batch 64 --csv "$out/kernels-sweep.csv" \
  > "$out/kernels-sweep.md" 2> "$out/kernels-sweep.err"
for rule in bp fa dfa sign-symmetry weight-mirror kolen-pollack dtp ddtp ldrl pc; do
  build/ml-bench train --device cuda --rule "$rule" --batch 64 --batches 200 --csv "$out/train-$rule.csv" \
    > "$out/train-$rule.txt" 2>&1
done
build/ml-bench train --device cuda --rule bptt --arch pcn --batch 64 --batches 100 --csv "$out/train-bptt.csv" \
  > "$out/train-bptt.txt" 2>&1
bash benchmarks/compare_pytorch.sh --device cuda --samples 60000 > "$out/compare-pytorch.txt" 2>&1
build/ml-train --rule bp --device cuda --epochs 2 --no-progress --out "$out/run-bp" > "$out/train-epochs.txt" 2>&1
cat "$out/compare-pytorch.txt" "$out/train-epochs.txt"
