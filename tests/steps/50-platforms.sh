#!/usr/bin/env bash
# Platforms: the C++ GoogleTest suites built and run on targets other than
# x86-64 glibc, each with the same tests (not a smoke test):
#   i386        i686-linux-gnu-g++, 32-bit time_t, run natively through the
#               i386 dynamic loader of the cross toolchain
#   i386-t64    the same with -D_TIME_BITS=64 -D_FILE_OFFSET_BITS=64
#   aarch64     aarch64-linux-gnu-g++, run under qemu-aarch64
#   macos-emu   host g++ forced onto Darwin's paths: sem_open (no /dev/shm),
#               no sem_timedwait (polling), steady_clock != CLOCK_MONOTONIC
#               (tests/platforms/darwin_shim.cpp), and in tests/platforms
#               30-byte names and sem_getvalue failing with ENOSYS
#   musl        musl-gcc: C programs through musl's sem_open against nob's
#               semaphores and back (tests/platforms/musl/); no C++ (Debian
#               ships no musl C++ toolchain)
#   x32         g++ -mx32 (ILP32 on x86-64): every header compiled alone and
#               a program linked; not run (Debian's kernel has x32 off)
# The tests: every C++ test meson runs (meson introspect of a native
# configure, tests/platforms/meson_tests.py), with the sources and macros
# meson gives it, and the helper programs it execs; a test that only
# rebuilds the same sources with other macros (a wait-path or standard
# variant) is run natively by step 10 and not here. Plus tests/platforms:
# test_*.cpp on every target, on each of the three wait paths of the glibc
# targets, and darwin/test_*.cpp on macos-emu.
# A test that cannot hold on a target is skipped there with its reason:
# GTEST_SKIP in the test, or a line of tests/platforms/skips.txt.
# GoogleTest comes from Debian's sources in /usr/src/googletest, built once
# per target. Builds are cached in build-platforms-ci/ (ninja, -j 2).
#
# Prints a suites x targets table of passed/failed/skipped and one line
#   platforms: N passed, N failed
# over every test of every target. Exit status 0 only when nothing failed.
#   NOB_PLATFORMS="i386 aarch64"   only these targets
#   NOB_PLATFORM_JOBS=N            build parallelism (default 2)
#   NOB_PLATFORM_DARWIN_STRICT=1   macos-emu: Darwin's name length and no
#                                  sem_getvalue for every suite, not only
#                                  tests/platforms
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
here=$root/tests/platforms
out=$root/build-platforms-ci
gtest_src=/usr/src/googletest/googletest
jobs=${NOB_PLATFORM_JOBS:-2}

# --- what the step needs, from Debian ------------------------------------
debs=(g++-i686-linux-gnu g++-aarch64-linux-gnu qemu-user musl-tools googletest
      libc6-dev-x32 libx32stdc++-12-dev)
command -v ninja >/dev/null || debs+=(ninja-build)
command -v meson >/dev/null || debs+=(meson)
missing=()
for d in "${debs[@]}"; do dpkg -s "$d" >/dev/null 2>&1 || missing+=("$d"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >/dev/null ||
    { echo "platforms: 0 passed, 1 failed (apt-get install failed)"; exit 1; }
fi
mkdir -p "$out"

# --- the targets ----------------------------------------------------------
# CXX, FLAGS, LDFLAGS and RUN per target; STRATEGY and DEV_SHM are what the
# default build of the target must pick (NOB_TEST_EXPECT_*, checked by
# tests/cpp/semaphore/test_build_variant.cpp).
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
# for tests/platforms, 30-byte names and sem_getvalue failing with ENOSYS
# (NOB_HAVE_SEM_GETVALUE=0 and the shim's strict mode). The other suites
# keep 251-byte names and sem_getvalue: their unique names are longer than
# 30 bytes and value() is how they measure.
darwin_limits="-DNOB_MAX_NAME_LENGTH=30 -DNOB_HAVE_SEM_GETVALUE=0"
CXX[macos-emu]=g++
FLAGS[macos-emu]="-DNOB_USE_DEV_SHM=0 -DNOB_USE_SEM_CLOCKWAIT=0 -DNOB_USE_SEM_TIMEDWAIT=0
  -DNOB_STEADY_IS_MONOTONIC=0 -DNOB_PLATFORM_EXPECT_TIME_BITS=64"
[ "${NOB_PLATFORM_DARWIN_STRICT:-0}" = 1 ] && FLAGS[macos-emu]+=" $darwin_limits"
LDFLAGS[macos-emu]="-Wl,--wrap=sem_getvalue -Wl,--wrap=clock_gettime"
EXTRA[macos-emu]=$here/darwin_shim.cpp
RUN[macos-emu]=""
STRATEGY[macos-emu]=poll; DEV_SHM[macos-emu]=0

all_targets="i386 i386-t64 aarch64 macos-emu musl x32"
targets=${NOB_PLATFORMS:-$all_targets}
cxx_targets=()
for t in $targets; do case $t in musl|x32) ;; *) cxx_targets+=("$t") ;; esac; done

# --- the tests --------------------------------------------------------------
# From meson: NAME -> gtest? unity? sources, flags, helpers (VAR=helper).
declare -A T_GTEST T_UNITY T_SOURCES T_FLAGS T_HELPERS
tests=()
if [ ${#cxx_targets[@]} -gt 0 ]; then
  intro=$out/introspect
  if [ ! -f "$intro/meson-private/coredata.dat" ]; then
    rm -rf "$intro"
    meson setup "$intro" -Dtests=enabled -Dexamples=disabled >"$out/introspect.log" 2>&1
  else
    meson setup "$intro" --reconfigure -Dtests=enabled -Dexamples=disabled >"$out/introspect.log" 2>&1
  fi || { echo "meson setup failed:"; tail -n 20 "$out/introspect.log"; }
  while IFS=$'\t' read -r kind name gtest unity srcs flags helpers; do
    case $kind in
      variant) echo "not run here: $name, a variant of $gtest (other macros, same sources; step 10 runs it)" ;;
      test|helper)
        T_GTEST[$name]=$gtest T_UNITY[$name]=$unity T_SOURCES[$name]=$srcs T_FLAGS[$name]=$flags
        T_HELPERS[$name]=${helpers:-}
        [ "$kind" = test ] && tests+=("$name") ;;
    esac
  done < <(python3 "$here/meson_tests.py" "$intro" "$root")
fi
# tests/platforms, not in meson (step 10 has these targets' concerns covered
# natively): on every wait path of the glibc targets.
for s in platforms platforms-timedwait platforms-poll; do
  T_GTEST[$s]=1 T_UNITY[$s]=0 T_FLAGS[$s]="-std=c++20" T_HELPERS[$s]=""
  T_SOURCES[$s]=$(cd "$root" && ls tests/platforms/test_*.cpp | tr '\n' ' ')
  tests+=("$s")
done

# test_flags <target> <test>: meson's macros for the test, less those the
# target sets itself, plus the target's expectations.
test_flags() {
  local t=$1 s=$2 f own="" out_flags="" strategy=${STRATEGY[$1]}
  case $t,$s in
    macos-emu,platforms-*) echo "-"; return ;;  # Darwin has one wait path: poll
    macos-emu,platforms) out_flags="$darwin_limits" ;;
    *,platforms-timedwait) out_flags="-DNOB_USE_SEM_CLOCKWAIT=0"; strategy=timedwait ;;
    *,platforms-poll) out_flags="-DNOB_USE_SEM_CLOCKWAIT=0 -DNOB_USE_SEM_TIMEDWAIT=0"; strategy=poll ;;
  esac
  for f in ${FLAGS[$t]} $out_flags; do case $f in -D*) own+=" ${f%%=*}=" ;; esac; done
  local expect=0
  for f in ${T_FLAGS[$s]}; do
    case $f in
      -DNOB_TEST_EXPECT_STRATEGY=*|-DNOB_TEST_EXPECT_DEV_SHM=*) expect=1; continue ;;
      -D*) case "$own " in *" ${f%%=*}="*) continue ;; esac ;;
    esac
    out_flags+=" $f"
  done
  # the expectations of a test that states them, or of our own suites
  if [ "$expect" = 1 ] || [[ $s == platforms* ]]; then
    out_flags+=" -DNOB_TEST_EXPECT_STRATEGY=$strategy -DNOB_TEST_EXPECT_DEV_SHM=${DEV_SHM[$t]}"
  fi
  echo "$out_flags"
}

test_sources() {  # test_sources <target> <test>
  echo "${T_SOURCES[$2]}"
  case $1,$2 in macos-emu,platforms) (cd "$root" && ls tests/platforms/darwin/test_*.cpp) ;; esac
}

# --- build (one ninja file for every C++ target) ---------------------------
warn="-Wall -Wextra -Wpedantic -Werror"
ninja_file=$out/build.ninja
: >"$out/suites.list"
# emit_exe <target> <name> <output> <flags> <gtest?> <unity?> <sources...>
emit_exe() {
  local t=$1 name=$2 exe=$3 flags=$4 gtest=$5 unity=$6 f o objs=""
  shift 6
  local srcs=("$@") dir=$out/$t/$name
  mkdir -p "$dir"
  if [ "$unity" = 1 ]; then
    for f in "${srcs[@]}"; do echo "#include \"$root/$f\""; done >"$dir/unity.cpp.new"
    cmp -s "$dir/unity.cpp.new" "$dir/unity.cpp" || mv "$dir/unity.cpp.new" "$dir/unity.cpp"
    rm -f "$dir/unity.cpp.new"
    srcs=("${dir#"$root"/}/unity.cpp")
  fi
  for f in "${srcs[@]}"; do
    o=$dir/$(basename "$f" .cpp).o
    echo "build $o: cxx $root/$f"
    echo "  cxx = ${CXX[$t]}"; echo "  flags = $common $flags $warn"
    objs+=" $o"
  done
  [ "$gtest" = 1 ] && objs+=" $out/$t/gtest/gtest-all.o $out/$t/gtest/gtest_main.o"
  echo "build $exe: link$objs$extra_objs"
  echo "  cxx = ${CXX[$t]}"
  echo "  ldflags = -pthread ${LDFLAGS[$t]:-}"
}
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
  for t in "${cxx_targets[@]}"; do
    common="-O1 -pthread -I$root/include -isystem $gtest_src/include ${FLAGS[$t]}"
    common=$(echo $common)  # one line
    g=$out/$t/gtest
    for f in gtest-all gtest_main; do
      echo "build $g/$f.o: cxx $gtest_src/src/$f.cc"
      echo "  cxx = ${CXX[$t]}"
      echo "  flags = -std=c++17 $common -w -I$gtest_src"
    done
    extra_objs=""
    for f in ${EXTRA[$t]:-}; do
      o=$out/$t/support/$(basename "$f" .cpp).o
      echo "build $o: cxx $f"
      echo "  cxx = ${CXX[$t]}"; echo "  flags = -std=c++20 $common $warn"
      extra_objs+=" $o"
    done
    for s in "${tests[@]}"; do
      flags=$(test_flags "$t" "$s")
      [ "$flags" = - ] && continue
      # shellcheck disable=SC2046
      emit_exe "$t" "$s" "$out/$t/$s/tests" "$flags" "${T_GTEST[$s]}" "${T_UNITY[$s]}" \
        $(test_sources "$t" "$s")
      # Helpers run through a script that runs them as the target runs
      # programs (the loader, qemu), so that a test can execve() them.
      env_file=$out/$t/$s/helpers.env
      : >"$env_file"
      for h in ${T_HELPERS[$s]}; do
        var=${h%%=*} hn=${h#*=}
        hexe=$out/$t/$s/helper-$hn
        # shellcheck disable=SC2046
        emit_exe "$t" "$s-$hn" "$hexe" "$(test_flags "$t" "$hn")" "${T_GTEST[$hn]}" \
          "${T_UNITY[$hn]}" ${T_SOURCES[$hn]}
        printf '#!/bin/sh\nexec %s %s "$@"\n' "${RUN[$t]}" "$hexe" >"$hexe.sh"
        chmod +x "$hexe.sh"
        echo "$var=$hexe.sh" >>"$env_file"
      done
      echo "$t $s" >>"$out/suites.list"
    done
  done
} >"$ninja_file"

# One ninja run for everything; a target x test whose object, helper, link,
# or shared GoogleTest/support object failed is marked as not built.
declare -A BUILD_OK
if [ -s "$out/suites.list" ]; then
  echo "building $(wc -l <"$out/suites.list") target x test executables (ninja -j $jobs)"
  start=$SECONDS
  ninja -f "$ninja_file" -k 0 -j "$jobs" >"$out/build.log" 2>&1
  failed_outputs=$(sed -n 's/^FAILED: //p' "$out/build.log")
  while read -r t s; do
    bad=0
    for f in $failed_outputs; do
      case "$f" in "$out/$t/$s/"*|"$out/$t/$s-"*|"$out/$t/gtest/"*|"$out/$t/support/"*) bad=1 ;; esac
    done
    if [ "$bad" = 0 ] && [ -x "$out/$t/$s/tests" ]; then
      BUILD_OK[$t,$s]=1
    else
      echo "  $t/$s: build failed; see $out/build.log"
    fi
  done <"$out/suites.list"
  if [ -n "$failed_outputs" ]; then
    echo "the compiler said:"
    grep -E "error|FAILED:" "$out/build.log" | head -n 40 | sed 's/^/  | /'
  fi
  echo "built in $((SECONDS - start)) s"
fi

# --- run ------------------------------------------------------------------
# skips.txt: "<target glob> <gtest pattern> <reason>": tests that cannot hold
# on a target, filtered out there and reported as skipped with the reason.
total_pass=0 total_fail=0 total_skip=0
declare -A CELL
fail_lines=()

run_suite() {  # run_suite <target> <test>
  local t=$1 s=$2 exe=$out/$1/$2/tests log=$out/$1/$2/run.log
  if [ -z "${BUILD_OK[$t,$s]:-}" ]; then
    CELL[$t,$s]="no build"; total_fail=$((total_fail + 1))
    fail_lines+=("$t/$s: did not build (see $out/build.log)")
    return
  fi
  local helpers=()
  mapfile -t helpers <"$out/$t/$s/helpers.env"
  local start=$SECONDS rc p=0 f=0 k=0
  if [ "${T_GTEST[$s]}" != 1 ]; then  # a plain program: its exit status is the test
    # shellcheck disable=SC2086
    env "${helpers[@]}" timeout -k 10 300 ${RUN[$t]} "$exe" </dev/null >"$log" 2>&1
    rc=$?
    if [ "$rc" -eq 0 ]; then p=1; else f=1; fail_lines+=("$t/$s: exit status $rc (see $log)"); fi
  else
    local neg="" tglob pat reason m listed
    # shellcheck disable=SC2086
    listed=$(${RUN[$t]} "$exe" --gtest_list_tests </dev/null 2>/dev/null |
             awk '/^[^ ]/{s=$1} /^  /{print s $1}')
    while read -r tglob pat reason; do
      case "$tglob" in ''|'#'*) continue ;; esac
      # shellcheck disable=SC2254
      case "$t" in $tglob) ;; *) continue ;; esac
      local hits=()
      for m in $listed; do
        # shellcheck disable=SC2254
        case "$m" in $pat) hits+=("$m") ;; esac
      done
      [ ${#hits[@]} -eq 0 ] && continue
      neg+=":$pat"; k=$((k + ${#hits[@]}))
      if [ ${#hits[@]} -eq 1 ]; then
        echo "    skip ${hits[0]} -- $reason (tests/platforms/skips.txt)"
      else
        echo "    skip ${#hits[@]} tests $pat -- $reason (tests/platforms/skips.txt)"
      fi
    done <"$here/skips.txt"
    local filter=()
    [ -n "$neg" ] && filter=("--gtest_filter=-${neg#:}")
    # shellcheck disable=SC2086
    env "${helpers[@]}" NOB_STRESS_SCALE=1 timeout -k 10 "${NOB_PLATFORM_TIMEOUT:-420}" \
      ${RUN[$t]} "$exe" --gtest_color=no "${filter[@]}" </dev/null >"$log" 2>&1
    rc=$?
    local tally sp sf sk line
    tally=$(awk -f "$here/tally.awk" "$log")
    read -r _ sp sf sk <<<"$(grep '^counts ' <<<"$tally")"
    p=$sp f=$sf k=$((k + sk))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
      f=1; fail_lines+=("$t/$s: exit status $rc with no failed test (see $log)")
    fi
    grep '^skip ' <<<"$tally" | sed 's/^skip /    skip /'
    while read -r line; do
      [ -n "$line" ] && fail_lines+=("$t/$s: ${line#fail }")
    done < <(grep '^fail ' <<<"$tally")
  fi
  CELL[$t,$s]="$p/$f/$k"
  total_pass=$((total_pass + p)); total_fail=$((total_fail + f)); total_skip=$((total_skip + k))
  echo "  $t/$s: $p passed, $f failed, $k skipped in $((SECONDS - start)) s"
  if [ "$f" -gt 0 ]; then
    grep -B2 -A12 -E '^\[  FAILED  \] .*\([0-9]+ ms\)$|Failure$' "$log" | head -n 60 | sed 's/^/    | /'
  fi
}

# The C++ targets run two at a time (their tests mostly sleep on timed
# waits, with generous bounds); each writes its report, cells and failures
# to files, printed and counted here in target order.
run_target() {  # run_target <target>, in a subshell
  local t=$1 start=$SECONDS
  CELL=() fail_lines=() total_pass=0 total_fail=0 total_skip=0
  while read -r tt s; do
    [ "$tt" = "$t" ] && run_suite "$t" "$s"
  done <"$out/suites.list"
  echo "--- $t: $((SECONDS - start)) s"
  for s in "${tests[@]}"; do [ -n "${CELL[$t,$s]:-}" ] && echo "$s ${CELL[$t,$s]}"; done >"$out/$t/cells"
  printf '%s\n' "${fail_lines[@]}" >"$out/$t/fails"
  echo "$total_pass $total_fail $total_skip" >"$out/$t/totals"
}
start=$SECONDS
running=0
for t in "${cxx_targets[@]}"; do
  rm -f "$out/$t/cells" "$out/$t/fails" "$out/$t/totals"
  run_target "$t" >"$out/$t/report.log" 2>&1 &
  running=$((running + 1))
  if [ "$running" -ge "${NOB_PLATFORM_PARALLEL:-2}" ]; then wait -n; running=$((running - 1)); fi
done
wait
for t in "${cxx_targets[@]}"; do
  echo
  echo "--- $t"
  cat "$out/$t/report.log"
  if [ -f "$out/$t/totals" ]; then
    read -r p f k <"$out/$t/totals"
    total_pass=$((total_pass + p)); total_fail=$((total_fail + f)); total_skip=$((total_skip + k))
    while read -r s cell; do CELL[$t,$s]=$cell; done <"$out/$t/cells"
    while read -r line; do [ -n "$line" ] && fail_lines+=("$line"); done <"$out/$t/fails"
  else
    total_fail=$((total_fail + 1)); fail_lines+=("$t: the run ended without a report")
  fi
done
echo "C++ targets ran in $((SECONDS - start)) s"
for t in $targets; do
  case $t in
    musl)
      echo; echo "--- musl"
      # shellcheck source=/dev/null
      . "$here/musl/interop.sh"; musl_interop ;;
    x32)
      echo; echo "--- x32"
      # shellcheck source=/dev/null
      . "$here/x32/compile.sh"; x32_compile ;;
  esac
done

# --- the table: one row per test, one column per target ---------------------
echo
echo "passed/failed/skipped per test and target:"
printf '  %-20s' test
for t in $targets; do printf ' %-10s' "$t"; done
echo
for s in "${tests[@]}" musl-c x32-build; do
  row=""
  for t in $targets; do row+=$(printf ' %-10s' "${CELL[$t,$s]:--}"); done
  [ -n "${row//[ -]/}" ] && printf '  %-20s%s\n' "$s" "$row"
done
if [ ${#fail_lines[@]} -gt 0 ]; then
  echo "failures:"
  printf '  %s\n' "${fail_lines[@]}"
fi
echo "skipped, each with its reason above: $total_skip"
echo "platforms: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
