#!/usr/bin/env bash
# Platforms: the C++ GoogleTest suites built and run on targets other than
# x86-64 glibc, each with the same tests (not a smoke test):
#   i386        i686-linux-gnu-g++, 32-bit time_t, run natively through the
#               i386 dynamic loader of the cross toolchain
#   i386-t64    the same with -D_TIME_BITS=64 -D_FILE_OFFSET_BITS=64
#   aarch64     aarch64-linux-gnu-g++, run under qemu-aarch64
#   macos-emu   host g++ forced onto Darwin's paths: sem_open (no /dev/shm),
#               no sem_timedwait (polling), names of at most 30 bytes,
#               sem_getvalue failing with ENOSYS, and a steady_clock that
#               differs from CLOCK_MONOTONIC (tests/platforms/darwin_shim.cpp)
#   musl        musl-gcc: C programs through musl's sem_open against nob's
#               semaphores and back (tests/platforms/musl/); no C++ (Debian
#               ships no musl C++ toolchain)
# Suites: every test source listed in the meson.build of tests/cpp,
# tests/cpp_stress, tests/cpp_robust and tests/cpp_ipc (a suite that does not
# exist yet is left out, and said so), plus tests/platforms/test_*.cpp.
# A test that cannot hold on a target is skipped there with its reason:
# GTEST_SKIP in the test, or a line of tests/platforms/skips.txt.
# GoogleTest comes from Debian's sources in /usr/src/googletest, built once
# per target. Builds are cached in build-platforms-ci/ (ninja, -j 2).
#
# Prints a targets x suites table of passed/failed/skipped and one line
#   platforms: N passed, N failed
# over every test of every target. Exit status 0 only when nothing failed.
#   NOB_PLATFORMS="i386 aarch64"   only these targets
#   NOB_PLATFORM_JOBS=N            build parallelism (default 2)
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
here=$root/tests/platforms
out=$root/build-platforms-ci
gtest_src=/usr/src/googletest/googletest

# --- what the step needs, from Debian ------------------------------------
debs=(g++-i686-linux-gnu g++-aarch64-linux-gnu qemu-user musl-tools googletest ninja-build)
missing=()
for d in "${debs[@]}"; do dpkg -s "$d" >/dev/null 2>&1 || missing+=("$d"); done
if [ ${#missing[@]} -gt 0 ]; then
  command -v ninja >/dev/null && [ "${missing[*]}" = ninja-build ] && missing=()
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    { echo "platforms: 0 passed, 1 failed (apt-get install failed)"; exit 1; }
fi
mkdir -p "$out"

# --- the targets ----------------------------------------------------------
# CXX, FLAGS, LDFLAGS and RUN per target; STRATEGY and DEV_SHM are what the
# default build of the target must pick (tests/cpp/test_build_variant.cpp).
declare -A CXX FLAGS LDFLAGS RUN EXTRA STRATEGY DEV_SHM
CXX[i386]=i686-linux-gnu-g++
FLAGS[i386]="-DNOB_PLATFORM_EXPECT_TIME_BITS=32"
RUN[i386]="/usr/i686-linux-gnu/lib/ld-linux.so.2 --library-path /usr/i686-linux-gnu/lib"

CXX[i386-t64]=i686-linux-gnu-g++
FLAGS[i386-t64]="-D_TIME_BITS=64 -D_FILE_OFFSET_BITS=64 -DNOB_PLATFORM_EXPECT_TIME_BITS=64"
RUN[i386-t64]=${RUN[i386]}

CXX[aarch64]=aarch64-linux-gnu-g++
FLAGS[aarch64]="-DNOB_PLATFORM_EXPECT_TIME_BITS=64"
RUN[aarch64]="qemu-aarch64 -L /usr/aarch64-linux-gnu"

for t in i386 i386-t64 aarch64; do STRATEGY[$t]=clockwait; DEV_SHM[$t]=1; done

# Darwin, as far as Linux can play it: sem_open instead of /dev/shm, no
# sem_timedwait (polling), steady_clock != CLOCK_MONOTONIC (the header is
# told by NOB_STEADY_IS_MONOTONIC=0, darwin_shim.cpp makes it true), and,
# for the platforms suite, 30-byte names and sem_getvalue failing with
# ENOSYS (NOB_HAVE_SEM_GETVALUE=0 and the shim's strict mode). The shared
# suites keep 251-byte names and sem_getvalue: their unique names are longer
# than 30 bytes and value() is how they measure; NOB_PLATFORM_DARWIN_STRICT=1
# builds them with the Darwin limits too.
darwin_limits="-DNOB_MAX_NAME_LENGTH=30 -DNOB_HAVE_SEM_GETVALUE=0"
CXX[macos-emu]=g++
FLAGS[macos-emu]="-DNOB_USE_DEV_SHM=0 -DNOB_USE_SEM_CLOCKWAIT=0 -DNOB_USE_SEM_TIMEDWAIT=0
  -DNOB_STEADY_IS_MONOTONIC=0 -DNOB_PLATFORM_EXPECT_TIME_BITS=64"
[ "${NOB_PLATFORM_DARWIN_STRICT:-0}" = 1 ] && FLAGS[macos-emu]+=" $darwin_limits"
LDFLAGS[macos-emu]="-Wl,--wrap=sem_getvalue -Wl,--wrap=clock_gettime"
EXTRA[macos-emu]=$here/darwin_shim.cpp
RUN[macos-emu]=""
STRATEGY[macos-emu]=poll; DEV_SHM[macos-emu]=0

all_targets="i386 i386-t64 aarch64 macos-emu musl"
targets=${NOB_PLATFORMS:-$all_targets}

# --- the suites -------------------------------------------------------------
# suite name -> directory; sources are the .cpp files its meson.build lists
# that define tests (helpers such as header_alone.cpp have no TEST).
# tests/platforms: test_*.cpp on every target, darwin/test_*.cpp on macos-emu,
# and on the glibc targets twice more, on the other two wait paths.
suite_names=(cpp stress robust ipc platforms platforms-timedwait platforms-poll)
declare -A SUITE_DIR=([cpp]=tests/cpp [stress]=tests/cpp_stress [robust]=tests/cpp_robust
                      [ipc]=tests/cpp_ipc)
# What each suite's meson.build adds to a plain build: the cpp_args of its
# default variant, and helper programs the tests exec, named by the
# environment variable that tells the tests where the helper is.
declare -A SUITE_DEFINES=([robust]="-DNOB_ROBUST_TEST_HOOKS" [ipc]="-DNOB_TEST_MOUNT_MQUEUE")
declare -A SUITE_HELPERS=([robust]="NOB_ROBUST_HELPER=helper.cpp")
declare -A SOURCES
for s in cpp stress robust ipc; do
  d=${SUITE_DIR[$s]}
  if [ ! -f "$d/meson.build" ]; then
    echo "suite $s: $d/meson.build does not exist (yet): not run"
    continue
  fi
  srcs=""
  for f in $(grep -o "'[A-Za-z0-9_./-]*\.cpp'" "$d/meson.build" | tr -d "'" | sort -u); do
    if [ ! -f "$d/$f" ]; then
      echo "suite $s: $d/$f is listed in meson.build but missing: left out"
      continue
    fi
    grep -qE '^(TEST|TEST_F|TEST_P|TYPED_TEST)\(' "$d/$f" && srcs+=" $d/$f"
  done
  [ -n "$srcs" ] && SOURCES[$s]=$srcs
done
SOURCES[platforms]=$(ls tests/platforms/test_*.cpp | tr '\n' ' ')

# suite_sources <target> <suite>, suite_flags <target> <suite>
suite_sources() {
  case $2 in
    platforms*) echo "${SOURCES[platforms]}"
                [ "$1" = macos-emu ] && ls tests/platforms/darwin/test_*.cpp ;;
    *) echo "${SOURCES[$2]:-}" ;;
  esac
}
suite_flags() {
  local strategy=${STRATEGY[$1]} f=""
  case $1,$2 in
    macos-emu,platforms) f="$darwin_limits" ;;
    macos-emu,platforms-*) echo "-"; return ;;  # one wait path there: poll
    *,platforms-timedwait) f="-DNOB_USE_SEM_CLOCKWAIT=0"; strategy=timedwait ;;
    *,platforms-poll) f="-DNOB_USE_SEM_CLOCKWAIT=0 -DNOB_USE_SEM_TIMEDWAIT=0"; strategy=poll ;;
  esac
  echo "$f ${SUITE_DEFINES[$2]:-} -DNOB_TEST_EXPECT_STRATEGY=$strategy -DNOB_TEST_EXPECT_DEV_SHM=${DEV_SHM[$1]}"
}

# --- build (one ninja file for every C++ target) ---------------------------
warn="-Wall -Wextra -Wpedantic -Werror"
ninja_file=$out/build.ninja
declare -A BUILT  # target,suite -> executable
{
  echo "# generated by tests/steps/50-platforms.sh"
  echo "builddir = $out"
  echo "rule cxx"
  echo "  command = \$cxx -MD -MF \$out.d \$flags -c \$in -o \$out"
  echo "  depfile = \$out.d"
  echo "  deps = gcc"
  echo "  description = \$in"
  echo "rule link"
  echo "  command = \$cxx -o \$out \$in \$ldflags"
  echo "  description = link \$out"
  for t in $targets; do
    [ "$t" = musl ] && continue
    common="-std=c++20 -O1 -pthread -I$root/include -isystem $gtest_src/include
      -DNOB_TEST_EXPECT_CPLUSPLUS=202002L ${FLAGS[$t]}"
    common=$(echo $common)  # one line
    g=$out/$t/gtest
    for f in gtest-all gtest_main; do
      echo "build $g/$f.o: cxx $gtest_src/src/$f.cc"
      echo "  cxx = ${CXX[$t]}"
      echo "  flags = $common -w -I$gtest_src"
    done
    extra_objs=""
    for f in ${EXTRA[$t]:-}; do
      o=$out/$t/support/$(basename "$f" .cpp).o
      echo "build $o: cxx $f"
      echo "  cxx = ${CXX[$t]}"; echo "  flags = $common $warn"
      extra_objs+=" $o"
    done
    for s in "${suite_names[@]}"; do
      srcs=$(suite_sources "$t" "$s"); flags=$(suite_flags "$t" "$s")
      [ -n "$srcs" ] && [ "$flags" != - ] || continue
      objs=""
      for f in $srcs; do
        o=$out/$t/$s/$(basename "$f" .cpp).o
        echo "build $o: cxx $root/$f"
        echo "  cxx = ${CXX[$t]}"; echo "  flags = $common $flags $warn"
        objs+=" $o"
      done
      echo "build $out/$t/$s/tests: link$objs$extra_objs $g/gtest-all.o $g/gtest_main.o"
      echo "  cxx = ${CXX[$t]}"
      echo "  ldflags = -pthread ${LDFLAGS[$t]:-}"
      # Helpers run through a script that runs them as the target runs
      # programs (the loader, qemu), so that a test can execve() them.
      env_file=$out/$t/$s/helpers.env
      mkdir -p "$out/$t/$s"; : >"$env_file"
      for h in ${SUITE_HELPERS[$s]:-}; do
        var=${h%%=*} src=${SUITE_DIR[$s]}/${h#*=} name=$(basename "${h#*=}" .cpp)
        o=$out/$t/$s/helper-$name.o exe=$out/$t/$s/helper-$name
        echo "build $o: cxx $root/$src"
        echo "  cxx = ${CXX[$t]}"; echo "  flags = $common $flags $warn"
        echo "build $exe: link $o$extra_objs"
        echo "  cxx = ${CXX[$t]}"
        echo "  ldflags = -pthread ${LDFLAGS[$t]:-}"
        printf '#!/bin/sh\nexec %s %s "$@"\n' "${RUN[$t]}" "$exe" >"$exe.sh"
        chmod +x "$exe.sh"
        echo "$var=$exe.sh" >>"$env_file"
      done
      echo "$t $s" >&3
    done
  done
} >"$ninja_file" 3>"$out/suites.list"

# One ninja run per executable, so that a failed build is known for sure
# (the objects they share, GoogleTest's, are built by the first).
echo "building $(wc -l <"$out/suites.list") target x suite executables (ninja -j ${NOB_PLATFORM_JOBS:-2})"
start=$SECONDS
declare -A BUILD_OK
: >"$out/build.log"
while read -r t s; do
  helpers=$(sed 's/^[^=]*=//; s/\.sh$//' "$out/$t/$s/helpers.env")
  # shellcheck disable=SC2086
  if ninja -f "$ninja_file" -j "${NOB_PLATFORM_JOBS:-2}" "$out/$t/$s/tests" $helpers \
       >"$out/$t/$s/build.log" 2>&1; then
    BUILD_OK[$t,$s]=1
  else
    echo "  $t/$s: build failed; the compiler said:"
    grep -E "error|FAILED:" "$out/$t/$s/build.log" | head -n 20 | sed 's/^/  | /'
  fi
  cat "$out/$t/$s/build.log" >>"$out/build.log"
done <"$out/suites.list"
echo "built in $((SECONDS - start)) s"

# --- run ------------------------------------------------------------------
# skips.txt: "<target glob> <gtest pattern> <reason>": tests that cannot hold
# on a target, filtered out there and reported as skipped with the reason.
total_pass=0 total_fail=0 total_skip=0
declare -A CELL
fail_lines=()

filter_for() {  # filter_for <target> <suite>: prints the negative gtest filter
  local t=$1 neg="" tglob pat reason
  while read -r tglob pat reason; do
    case "$tglob" in ''|'#'*) continue ;; esac
    # shellcheck disable=SC2254
    case "$t" in $tglob) neg+=":$pat" ;; esac
  done <"$here/skips.txt"
  echo "${neg#:}"
}

run_suite() {  # run_suite <target> <suite>
  local t=$1 s=$2 exe=$out/$1/$2/tests log=$out/$1/$2/run.log
  if [ -z "${BUILD_OK[$t,$s]:-}" ]; then
    CELL[$t,$s]="build failed"; total_fail=$((total_fail + 1))
    fail_lines+=("$t/$s: did not build (see $out/$t/$s/build.log)")
    return
  fi
  local neg filter_skips=0 tglob pat reason
  neg=$(filter_for "$t")
  # shellcheck disable=SC2086
  local listed
  listed=$(${RUN[$t]} "$exe" --gtest_list_tests </dev/null 2>/dev/null |
           awk '/^[^ ]/{s=$1} /^  /{print s $1}')
  while read -r tglob pat reason; do
    case "$tglob" in ''|'#'*) continue ;; esac
    # shellcheck disable=SC2254
    case "$t" in $tglob) ;; *) continue ;; esac
    local m
    # shellcheck disable=SC2053
    for m in $listed; do
      case "$m" in $pat) filter_skips=$((filter_skips + 1))
        echo "    skip $m -- $reason (tests/platforms/skips.txt)" ;;
      esac
    done
  done <"$here/skips.txt"
  local start=$SECONDS
  # shellcheck disable=SC2086
  local filter=()
  [ -n "$neg" ] && filter=("--gtest_filter=-$neg")
  # shellcheck disable=SC2086
  local helpers=()
  mapfile -t helpers <"$out/$t/$s/helpers.env"
  env "${helpers[@]}" NOB_STRESS_SCALE=1 timeout -k 10 "${NOB_PLATFORM_TIMEOUT:-420}" \
    ${RUN[$t]} "$exe" --gtest_color=no "${filter[@]}" </dev/null >"$log" 2>&1
  local rc=$? took=$((SECONDS - start))
  local tally p f k
  tally=$(awk -f "$here/tally.awk" "$log")
  read -r _ p f k <<<"$(grep '^counts ' <<<"$tally")"
  k=$((k + filter_skips))
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1; fail_lines+=("$t/$s: exit status $rc with no failed test (see $log)")
  fi
  grep '^skip ' <<<"$tally" | sed 's/^skip /    skip /'
  while read -r line; do
    [ -n "$line" ] && fail_lines+=("$t/$s: ${line#fail }")
  done < <(grep '^fail ' <<<"$tally")
  CELL[$t,$s]="$p/$f/$k"
  total_pass=$((total_pass + p)); total_fail=$((total_fail + f)); total_skip=$((total_skip + k))
  echo "  $t/$s: $p passed, $f failed, $k skipped in $took s"
  if [ "$f" -gt 0 ]; then
    grep -B2 -A12 -E '^\[  FAILED  \] .*\([0-9]+ ms\)$|Failure$' "$log" | head -n 60 | sed 's/^/    | /'
  fi
}

for t in $targets; do
  echo
  echo "--- $t"
  start=$SECONDS
  if [ "$t" = musl ]; then
    # shellcheck source=/dev/null
    . "$here/musl/interop.sh"
    musl_interop
  else
    while read -r tt s; do
      [ "$tt" = "$t" ] && run_suite "$t" "$s"
    done <"$out/suites.list"
  fi
  echo "--- $t: $((SECONDS - start)) s"
done

# --- the table ---------------------------------------------------------------
echo
echo "passed/failed/skipped per target and suite:"
printf '  %-10s' target
cols=()
for s in "${suite_names[@]}"; do grep -q " $s\$" "$out/suites.list" && cols+=("$s"); done
cols+=(musl-c)
for s in "${cols[@]}"; do printf ' %-20s' "$s"; done
echo
for t in $targets; do
  printf '  %-10s' "$t"
  for s in "${cols[@]}"; do printf ' %-20s' "${CELL[$t,$s]:--}"; done
  echo
done
if [ ${#fail_lines[@]} -gt 0 ]; then
  echo "failures:"
  printf '  %s\n' "${fail_lines[@]}"
fi
echo "skipped, each with its reason above: $total_skip"
echo "platforms: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
