#!/usr/bin/env bash
# ml-analyze against numpy (float64, OpenBLAS) on four cases that set the precision targets:
# correlation RDM N=10000 D=512, linear CKA N=10000 D=512, RBF CKA N=5000,
# debiased linear CKA N=5000; and on the measures of issue 26 (procrustes alpha 1 and 0,
# svcca, pwcca, mean CCA, mutual kNN) at N=1000 D=9216 (--only cka|measures picks one
# group). Prints a markdown table (see analysis_vs_numpy.py).
# Installs Debian's python3-numpy and libopenblas0-pthread when missing: with
# the reference BLAS numpy is 5-20x slower and the comparison is void.
# Usage: benchmarks/analysis_vs_numpy.sh [BUILD_DIR] [--repeats N] [--quick] [--only all|cka|measures]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../build}"
shift || true

missing=()
for p in python3-numpy libopenblas0-pthread; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "analysis_vs_numpy: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  echo "analysis_vs_numpy: installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "${missing[@]}" >&2
fi

[ -x "$build/ml-analyze" ] || { echo "analysis_vs_numpy: no $build/ml-analyze (build it first)" >&2; exit 1; }
/usr/bin/python3 -c "import numpy; c = numpy.__config__; print('numpy', numpy.__version__)" >&2
ls -l /etc/alternatives/libblas.so.3-x86_64-linux-gnu >&2 || true
echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
exec /usr/bin/python3 "$here/analysis_vs_numpy.py" --analyze "$build/ml-analyze" "$@"
