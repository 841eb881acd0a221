#!/usr/bin/env bash
# Builds benchmarks/robust/bench_robust.cpp (standalone: not part of the
# meson build or CI) and runs it. Usage: benchmarks/robust/run.sh [scale]
# benchmarks/robust/run.sh core-dump [MB] [rounds]: builds and runs
# core_dump_delay.cpp instead (how long a holder that dumps core keeps its
# units; writes MB-sized core files under /tmp and removes them).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
out="${NOB_BENCH_BUILD:-/tmp/nob-bench-robust}"
program=bench_robust
if [ "${1:-}" = core-dump ]; then
  program=core_dump_delay
  shift
fi
mkdir -p "$out"
"${CXX:-g++}" -std=c++17 -O2 -DNDEBUG -Wall -Wextra -Wpedantic -Werror -I"$root/include" \
  "$here/$program.cpp" -o "$out/$program" -pthread
uname -srm
nproc | sed 's/^/cores: /'
"$out/$program" "$@"
