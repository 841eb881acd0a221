#!/usr/bin/env bash
# Sanitizers: builds the GoogleTest suites (every suite in tests/cpp/, every
# wait-path variant) once with -fsanitize=address,undefined and once with
# -fsanitize=thread, and runs them; any report fails the step. Not built
# here: the -cxx17 twins of the default variants and the compile-only checks
# (see sanitizer_tests).
# NOB_BUILD_JOBS=N limits the build's parallelism (default: all cores).
set -euo pipefail
cd "$(dirname "$0")/../.."

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp"
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

# The tests worth a sanitizer: every test meson knows but those that repeat
# another under the sanitizer. A test named *-cxx17 is its suite's default
# variant built as C++17: the same sources and macros, the same machine code
# paths, so a sanitizer finds nothing in it that the default variant does
# not show (step 10 runs both, natively), and one with no executable of its
# own (a compile check) has nothing to run. Prints "name<TAB>target file"
# lines, one per file to build.
sanitizer_tests() {  # sanitizer_tests <dir>
  python3 - "$1" <<'PY'
import json, os, subprocess, sys

d = sys.argv[1]
tests = json.loads(subprocess.check_output(["meson", "introspect", "--tests", d]))
targets = {t["id"]: t for t in json.loads(subprocess.check_output(["meson", "introspect", "--targets", d]))}
for t in tests:
    if t["name"].endswith("-cxx17") or not t["depends"]:
        continue
    for dep in t["depends"]:
        for f in targets[dep]["filename"]:
            print(f"{t['name']}\t{os.path.relpath(f, d)}")
PY
}

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
  local selected names files
  selected=$(sanitizer_tests "$dir") && [ -n "$selected" ] ||
    { echo "meson introspect of $dir FAILED"; return 1; }
  names=$(cut -f1 <<<"$selected" | sort -u | tr '\n' ' ')
  files=$(cut -f2 <<<"$selected" | sort -u | tr '\n' ' ')
  # Only what those tests run is built (no compile-only targets, no -cxx17 twins).
  # shellcheck disable=SC2086
  ninja -C "$dir" "${jobs[@]}" $files >>"$log" 2>&1 ||
    { tail -n 60 "$log"; echo "the build in $dir FAILED"; return 1; }
  echo "--- $san: meson test -C $dir $names"
  # The suites' timeouts catch hangs at native speed; sanitizers run them
  # 2-8x slower, so give each three times as long here.
  # shellcheck disable=SC2086
  meson test -C "$dir" --no-rebuild --print-errorlogs --timeout-multiplier 3 "$@" $names
}

run build-ci-asan address,undefined
# TSan defers signal handlers while a thread waits in sem_clockwait (which it
# does not intercept), so the handler-count floors of the EINTR storm tests
# of tests/cpp/semaphore on the clockwait path cannot hold there; those run
# under ASan only.
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
