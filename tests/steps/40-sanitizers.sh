#!/usr/bin/env bash
# Sanitizers: builds the GoogleTest suites (tests/cpp and tests/cpp_stress)
# twice more, with -fsanitize=address,undefined and with -fsanitize=thread,
# and runs them; any report fails the step. NOB_BUILD_JOBS=N limits the
# build's parallelism (default: all cores).
set -euo pipefail
cd "$(dirname "$0")/../.."

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
jobs=()
[ -n "${NOB_BUILD_JOBS:-}" ] && jobs=(-j "$NOB_BUILD_JOBS")

# ThreadSanitizer needs a fixed address layout: newer kernels randomise more
# bits than it supports, so run its tests with ASLR off when we can.
tsan_wrap=()
if setarch "$(uname -m)" -R true 2>/dev/null; then
  tsan_wrap=(--wrapper "setarch $(uname -m) -R")
else
  echo "setarch -R is refused here: TSan runs with ASLR on (it may abort on the layout)"
fi

run() {  # run <dir> <sanitizer> [meson test args...]
  local dir=$1 san=$2
  shift 2
  # The build's output goes to a file, shown (its end) only when it fails.
  mkdir -p build-ci-logs
  local log=build-ci-logs/40-build-${dir#build-ci-}.log
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" --buildtype=debugoptimized -Dtests=enabled -Dexamples=disabled \
      -Db_sanitize="$san" -Db_lundef=false >"$log" 2>&1 ||
      { tail -n 40 "$log"; echo "meson setup of $dir FAILED"; return 1; }
  fi
  meson compile -C "$dir" "${jobs[@]}" >>"$log" 2>&1 ||
    { tail -n 60 "$log"; echo "meson compile of $dir FAILED"; return 1; }
  echo "--- $san: meson test -C $dir"
  # The suites' timeouts catch hangs at native speed; sanitizers run them
  # 2-8x slower, so give each three times as long here.
  meson test -C "$dir" --print-errorlogs --timeout-multiplier 3 "$@"
}

run build-ci-asan address,undefined
# TSan defers signal handlers while a thread waits in sem_clockwait (which it
# does not intercept), so the handler-count floors of tests/cpp's EINTR storm
# tests on the clockwait path cannot hold there; those run under ASan only.
GTEST_FILTER='-EintrStorm.TryAcquire*' run build-ci-tsan thread "${tsan_wrap[@]}"

# libFuzzer on name validation, when clang is there (it is not on a fresh
# Debian machine, and 00-deps.sh does not install it: then this part skips).
if command -v clang++ >/dev/null 2>&1; then
  mkdir -p build-ci-fuzz/corpus
  clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude \
    tests/fuzz/fuzz_names.cpp -o build-ci-fuzz/fuzz_names
  build-ci-fuzz/fuzz_names -max_total_time="${NOB_FUZZ_SECONDS:-10}" build-ci-fuzz/corpus 2>&1 |
    tail -n 1
else
  echo "fuzz: skipped (clang++ not installed; apt-get install clang to run tests/fuzz)"
fi
echo "sanitizers: clean"
