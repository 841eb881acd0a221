#!/usr/bin/env bash
# Runs every benchmark (C++ and Python) and rewrites docs/performance.md and
# docs/performance.png. Never part of the test suite or CI.
#
#   bash benchmarks/run.sh            # the full run, several minutes on 2 cores
#   bash benchmarks/run.sh --quick    # a smoke test of the whole pipeline
#
# Installs what it needs when missing: Debian's libbenchmark-dev,
# libboost-dev and valgrind; meson and ninja from PyPI; and, in a venv of its
# own (build-bench/venv), posix_ipc, named-semaphores, matplotlib and the
# nob.py wheel built from this checkout. Results stay in build-bench/results.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${NOB_BENCH_BUILD:-$ROOT/build-bench}
QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1
START=$(date +%s)
# The nob measured: its commit, marked when the code differs from it.
SOURCE=$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ "$SOURCE" != unknown ] && [ -n "$(git -C "$ROOT" status --porcelain -- include bindings benchmarks meson.build meson_options.txt pyproject.toml)" ]; then
  SOURCE="$SOURCE with uncommitted changes"
fi
COMMAND="bash benchmarks/run.sh${1:+ $1}"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

say() { printf '\n== %s\n' "$*"; }

say "dependencies"
missing=()
for d in g++ pkg-config libbenchmark-dev libboost-dev valgrind; do
  dpkg -s "$d" >/dev/null 2>&1 || missing+=("$d")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
command -v meson >/dev/null && command -v ninja >/dev/null ||
  python3 -m pip install -q --disable-pip-version-check meson ninja

say "C++ build ($BUILD)"
if [ -f "$BUILD/build.ninja" ]; then
  meson setup --reconfigure "$BUILD" "$ROOT" -Dbenchmarks=enabled >/dev/null
else
  meson setup "$BUILD" "$ROOT" --buildtype=release -Dbenchmarks=enabled \
    -Dtests=disabled -Dexamples=disabled -Dpython=disabled >/dev/null
fi
meson compile -C "$BUILD" -j 1 nob-cpp-bench nob-cpp-instr nob-cpp-ratios

say "Python venv with the nob.py wheel of this checkout"
rm -rf "$BUILD/wheels"
if python3 -c "import mesonpy, Cython" 2>/dev/null; then
  python3 -m pip wheel -q --disable-pip-version-check "$ROOT" --no-deps --no-build-isolation -w "$BUILD/wheels"
else
  python3 -m pip wheel -q --disable-pip-version-check "$ROOT" --no-deps -w "$BUILD/wheels"
fi
[ -x "$BUILD/venv/bin/python" ] || python3 -m venv "$BUILD/venv"
PY=$BUILD/venv/bin/python
"$PY" -m pip install -q --disable-pip-version-check posix_ipc named-semaphores matplotlib
"$PY" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$BUILD"/wheels/nob_py-*.whl

RESULTS=$BUILD/results
mkdir -p "$RESULTS"
if [ $QUICK = 1 ]; then
  CPP_ARGS=(--benchmark_repetitions=2 --benchmark_min_time=0.01)
  PY_ARGS=(--quick)
else
  CPP_ARGS=(--benchmark_repetitions=21 --benchmark_min_time=0.05)
  PY_ARGS=(--rounds 21)
fi

say "C++ benchmarks (interleaved repetitions)"
"$BUILD/benchmarks/nob-cpp-bench" "${CPP_ARGS[@]}" \
  --benchmark_enable_random_interleaving=true \
  --benchmark_display_aggregates_only=true \
  --benchmark_out="$RESULTS/cpp.json" --benchmark_out_format=json | grep -E '_median|^-|^Bench' || true

say "C++ instruction and system-call counts (callgrind)"
"$PY" "$ROOT/benchmarks/count_instructions.py" "$BUILD/benchmarks/nob-cpp-instr" "$RESULTS/instructions.json"

say "Python benchmarks (interleaved rounds)"
(cd "$ROOT/benchmarks/python" && "$PY" bench.py "$RESULTS/py.json" "${PY_ARGS[@]}")

say "the other kinds: robust semaphores, asyncio, shared memory, message queues"
EXTRA=$RESULTS/extra
rm -rf "$EXTRA" && mkdir -p "$EXTRA"
"$PY" -m pip install -q --disable-pip-version-check uvloop || true
# extra NN TITLE COMMAND...: runs COMMAND, keeps what it prints for the report.
extra() {
  local file=$EXTRA/$1.txt title=$2
  shift 2
  echo "# $title" >"$file"
  echo "$*" | sed "s|$ROOT/||g; s|$BUILD/||g" >>"$file"
  "$@" 2>&1 | tee -a "$file"
}
EXTRA_CXX=(c++ -std=c++17 -O2 -DNDEBUG -I"$ROOT/include" -pthread)
"${EXTRA_CXX[@]}" "$ROOT/benchmarks/robust/bench_robust.cpp" -o "$BUILD/bench_robust"
"${EXTRA_CXX[@]}" "$ROOT/benchmarks/ipc/bench_ipc.cpp" -o "$BUILD/bench_ipc" -lrt
if [ $QUICK = 1 ]; then R=3; else R=15; fi
if [ $QUICK = 1 ]; then RATIO_ROUNDS=5; else RATIO_ROUNDS=41; fi
extra 05-ratios "C++ hot paths: nob / raw, thread CPU time, median of per-round ratios" \
  "$BUILD/benchmarks/nob-cpp-ratios" "$RATIO_ROUNDS"
extra 10-robust-cpp "C++ robust_semaphore vs raw POSIX semaphores" "$BUILD/bench_robust"
extra 20-robust-py "Python RobustSemaphore vs NamedSemaphore" "$PY" "$ROOT/benchmarks/python/bench_robust.py" --rounds "$R"
extra 30-async "asyncio: cross-process wake latency of acquire_async" "$PY" "$ROOT/benchmarks/python/bench_async.py"
extra 40-ipc-cpp "C++ shared memory and message queues vs raw C" "$BUILD/bench_ipc"
extra 50-ipc-py "Python NamedSharedMemory and NamedMessageQueue vs posix_ipc" "$PY" "$ROOT/benchmarks/python/bench_ipc.py" --rounds "$R"

say "report"
"$PY" "$ROOT/benchmarks/report.py" "$RESULTS/cpp.json" "$RESULTS/py.json" "$ROOT/docs" \
  --instructions "$RESULTS/instructions.json" \
  --compiler "$(c++ --version | head -n 1)" \
  --seconds "$(( $(date +%s) - START ))" \
  --load "$LOAD_BEFORE before, $(cut -d' ' -f1-3 /proc/loadavg) after" \
  --source "$SOURCE" --command "$COMMAND" \
  --extra "$EXTRA" \
  --notes "$ROOT/benchmarks/performance-notes.md"
echo "wrote $ROOT/docs/performance.md and $ROOT/docs/performance.png"
