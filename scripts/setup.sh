#!/usr/bin/env bash
# Installs, with apt, everything the build and the default data set need, and
# with --tests what only the tests need. Safe to run twice: packages already
# installed are not fetched again.
# Usage: scripts/setup.sh [--tests]   (as root, or with sudo available)
set -euo pipefail

packages=(
  build-essential cmake          # compiler and build
  libeigen3-dev                  # CPU linear algebra
  libopenblas-openmp-dev         # the GEMM behind Eigen on CPUs without AVX-512 (CMakeLists.txt: ML_CPU_GEMM)
  libcxxopts-dev                 # command-line flags
  catch2                         # tests (v2, header only)
  libstb-dev                     # PNG files
  libjpeg62-turbo-dev            # JPEG files
  nlohmann-json3-dev             # config.json, checkpoint headers
  zlib1g-dev                     # .gz data files
  dataset-fashion-mnist          # the default data set, in /usr/share/datasets/fashion-mnist
)
case "${1:-}" in
  --tests) packages+=(
    python3-numpy                # tests read our .npy/.safetensors files back with numpy
    clang libclang-rt-14-dev     # the sanitizer and fuzz builds: clang, libFuzzer and clang's sanitizer runtimes
    libomp-dev                   # OpenMP for clang (the sanitizer build)
  );;
  "") ;;
  *) echo "setup: unknown argument '$1' (expected --tests or nothing)" >&2; exit 2;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
