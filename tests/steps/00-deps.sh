#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine: the compilers'
# test libraries from Debian, the build tools from PyPI. Quick when present.
set -euo pipefail
debs=(g++ pkg-config cmake libgtest-dev libgmock-dev)
missing=()
for d in "${debs[@]}"; do dpkg -s "$d" >/dev/null 2>&1 || missing+=("$d"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
python3 -m pip install -q --disable-pip-version-check meson ninja cython meson-python build
