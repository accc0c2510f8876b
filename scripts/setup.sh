#!/usr/bin/env bash
# Installs the Debian packages duet needs to build, test and draw figures. As root it runs
# apt-get for whatever is missing; otherwise it prints the exact apt-get line and exits with 1.
# Usage: scripts/setup.sh [--with-slurm] [--with-fuzz]
set -euo pipefail

packages=(
  cmake make gcc pkgconf
  libgsl-dev libopenblas-dev liblapacke-dev libhdf5-dev hdf5-tools
  liblua5.4-dev lua5.4 gnuplot-nox libcmocka-dev
  python3-h5py python3-numpy python3-scipy python3-sklearn
  fasttext dpkg-dev clang-format valgrind
)
for arg in "$@"; do
  case "$arg" in
    --with-slurm) packages+=(slurm-wlm munge) ;;
    --with-fuzz) packages+=(clang libclang-rt-14-dev) ;;
    *) echo "setup.sh: unknown option $arg (known: --with-slurm, --with-fuzz)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
line="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "duet needs these Debian packages: ${missing[*]}" >&2
  echo "Run as root:  apt-get update && $line" >&2
  exit 1
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
