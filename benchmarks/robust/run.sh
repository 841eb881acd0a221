#!/usr/bin/env bash
# Builds benchmarks/robust/bench_robust.cpp (standalone: not part of the
# meson build or CI) and runs it. Usage: benchmarks/robust/run.sh [scale]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
out="${NOB_BENCH_BUILD:-/tmp/nob-bench-robust}"
mkdir -p "$out"
"${CXX:-g++}" -std=c++17 -O2 -DNDEBUG -Wall -Wextra -Wpedantic -Werror -I"$root/include" \
  "$here/bench_robust.cpp" -o "$out/bench_robust" -pthread
uname -srm
nproc | sed 's/^/cores: /'
"$out/bench_robust" "$@"
