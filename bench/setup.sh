#!/usr/bin/env bash
# Install the peer systems for benchmarking (docs/benchmarks.md). Never project
# dependencies: numpy comes from Debian for /usr/bin/python3, WebPPL goes into the
# git-ignored bench/.peers. Idempotent: quick when everything is already there.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

if ! /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
  echo "setup: installing python3-numpy (Debian)"
  if ! "${sudo_cmd[@]}" apt-get install -y -q python3-numpy; then
    "${sudo_cmd[@]}" apt-get update -q
    "${sudo_cmd[@]}" apt-get install -y -q python3-numpy
  fi
fi
# numpy links whatever libblas.so.3 Debian's alternatives select; without OpenBLAS that is the
# reference BLAS, several times slower than the peers' figures (peers.md: OpenBLAS 0.3.21).
if ! dpkg -s libopenblas0-pthread >/dev/null 2>&1; then
  echo "setup: installing libopenblas0-pthread (Debian) for numpy's BLAS"
  if ! "${sudo_cmd[@]}" apt-get install -y -q libopenblas0-pthread; then
    "${sudo_cmd[@]}" apt-get update -q
    "${sudo_cmd[@]}" apt-get install -y -q libopenblas0-pthread
  fi
fi
echo "setup: numpy $(/usr/bin/python3 -c 'import numpy; print(numpy.__version__)')"
# scikit-learn (GaussianMixture, FactorAnalysis peers: peers.md §2, §4) from Debian, for the same python3
if ! /usr/bin/python3 -c 'import sklearn' 2>/dev/null; then
  echo "setup: installing python3-sklearn (Debian)"
  if ! "${sudo_cmd[@]}" apt-get install -y -q python3-sklearn; then
    "${sudo_cmd[@]}" apt-get update -q
    "${sudo_cmd[@]}" apt-get install -y -q python3-sklearn
  fi
fi
echo "setup: scikit-learn $(/usr/bin/python3 -c 'import sklearn; print(sklearn.__version__)')"
# gensim (bench/lda-cavi's second LDA peer, peers.md §1) from Debian too
if ! /usr/bin/python3 -c 'import gensim' 2>/dev/null; then
  echo "setup: installing python3-gensim (Debian)"
  if ! "${sudo_cmd[@]}" apt-get install -y -q python3-gensim; then
    "${sudo_cmd[@]}" apt-get update -q
    "${sudo_cmd[@]}" apt-get install -y -q python3-gensim
  fi
fi
echo "setup: gensim $(/usr/bin/python3 -c 'import gensim; print(gensim.__version__)')"
# PyTorch on CPU (bench/vae's peer, peers.md §5) from Debian too
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "setup: installing python3-torch (Debian)"
  if ! "${sudo_cmd[@]}" apt-get install -y -q python3-torch; then
    "${sudo_cmd[@]}" apt-get update -q
    "${sudo_cmd[@]}" apt-get install -y -q python3-torch
  fi
fi
echo "setup: torch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)')"

webppl_version=0.9.15
installed="$(node -e "try{console.log(require('$here/.peers/node_modules/webppl/package.json').version)}catch{}" 2>/dev/null || true)"
if [ "$installed" != "$webppl_version" ]; then
  echo "setup: installing webppl@$webppl_version into bench/.peers"
  mkdir -p "$here/.peers"
  npm install --prefix "$here/.peers" --no-audit --no-fund --loglevel=error "webppl@$webppl_version"
fi
echo "setup: webppl $webppl_version in bench/.peers"
