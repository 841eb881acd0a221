#!/usr/bin/env bash
# Python, on every CPython nob supports (one per "Programming Language ::
# Python :: 3.X" classifier of pyproject.toml: 3.9 to 3.13). For each:
#  1. a fresh venv of that Python; the wheel built there from this tree
#     (`pip wheel .`, with build isolation, as `pip install .` does), while
#     the tests of the version before run;
#  2. the wheel repaired to its manylinux tag (tests/steps/lib/wheel.sh:
#     auditwheel, the tag checked) and installed with its `test` extra;
#  3. tests/python run against the INSTALLED package, from a directory where
#     the source tree's bindings/python/nob cannot shadow it: the whole suite
#     on the oldest and the newest Python found, a fast subset (SUBSET
#     below: the contract, robust, asyncio, shm and mq basics, the package)
#     on the others; on the newest, the asyncio tests again in each other
#     waiting mode (NOB_ASYNC_WAIT=uring|thread|poll) the kernel has.
# The interpreters come from pyenv (~/.pyenv/versions/3.X.*) or python3.X on
# PATH; a version that is not there is reported as NOT TESTED, with what was
# looked for, and the step goes on with the others (it fails when none is
# there). NOB_PYTHONS="3.9 3.13" limits the run to some versions.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
export NOB_ROOT=${NOB_ROOT:-$root}
# shellcheck source=lib/wheel.sh
. tests/steps/lib/wheel.sh
out=$root/build-ci-py
rm -rf "$out"
mkdir -p "$out"

SUBSET=(semaphore/test_acquire.py semaphore/test_arguments.py semaphore/test_errors.py
        semaphore/test_names.py semaphore/test_flags.py semaphore/test_closed.py
        semaphore/test_with_statement.py semaphore/test_release_n.py common/test_package.py
        robust/test_robust_api.py robust/test_robust_release.py robust/test_robust_crash.py
        async/test_async_acquire.py async/test_async_cancel.py
        shm/test_shm_basics.py mq/test_mq_basics.py semaphore/test_glibc_compat.py)

wanted=${NOB_PYTHONS:-$(tested_pythons | tr '\n' ' ')}
found=() missing=()
declare -A PY
for v in $wanted; do
  py=$(find_python "$v")
  if [ -n "$py" ]; then
    PY[$v]=$py; found+=("$v")
  else
    missing+=("$v")
    echo "Python $v: NOT TESTED: no CPython $v here (looked in ${PYENV_ROOT:-$HOME/.pyenv}/versions/$v.* and for python$v on PATH)"
  fi
done
if [ ${#found[@]} -eq 0 ]; then
  echo "no supported Python found ($wanted): nothing tested"
  exit 1
fi
oldest=${found[0]} newest=${found[${#found[@]} - 1]}
echo "Pythons: ${found[*]} (whole suite on $oldest and $newest, a subset on the others)"

# build_for V: a fresh venv of Python V with the repaired wheel and its test
# extra installed; the output goes to $out/V/build.log, and $out/V/wheel
# names the wheel when all went well. The next version's build runs in the
# background while this version's tests run (the tests hold at a load of 8
# on 2 cores; a build is a load of 2).
build_for() {
  local v=$1 dir=$out/$1 start=$SECONDS wheel
  mkdir -p "$dir/run"
  {
    "${PY[$v]}" -m venv "$dir/venv" &&
      "$dir/venv/bin/python" -m pip wheel "$root" --no-deps --disable-pip-version-check -q \
        -w "$dir/dist" &&
      wheel=$(repair_wheel "$(ls "$dir"/dist/nob_py-*.whl)" "$dir/wheelhouse" | tail -n 1) &&
      "$dir/venv/bin/python" -m pip install -q --disable-pip-version-check "${wheel}[test]" &&
      echo "$wheel $((SECONDS - start))" >"$dir/wheel"
  } >"$dir/build.log" 2>&1
}

# async_in_other_modes V: on Python V, the asyncio tests again in each
# waiting mode this kernel has besides the one the whole suite just used
# (the best one; docs/python.md, "Waiting modes": NOB_ASYNC_WAIT=uring|thread|poll).
async_in_other_modes() {
  local v=$1 dir=$out/$1 best mode mrc summary
  local py=$dir/venv/bin/python mode_of='import nob.ipc as n; print(n.async_wait_mode())'
  best=$(cd "$dir/run" && "$py" -c "$mode_of")
  for mode in uring thread poll; do
    [ "$mode" != "$best" ] || continue
    if [ "$(cd "$dir/run" && NOB_ASYNC_WAIT=$mode "$py" -c "$mode_of")" != "$mode" ]; then
      RESULT[$v]+="; no $mode mode on this kernel"
      continue
    fi
    (cd "$dir/run" && NOB_ASYNC_WAIT=$mode "$py" -m pytest "$root"/tests/python/async/test_async_*.py \
      -q -p no:cacheprovider --rootdir "$root/tests/python" -o addopts="") 2>&1 |
      tee "$dir/pytest-$mode.log"
    mrc=${PIPESTATUS[0]}
    summary=$(grep -E '(passed|failed|error)' "$dir/pytest-$mode.log" | tail -n 1)
    RESULT[$v]+="; asyncio tests in $mode mode: ${summary:-no summary}"
    [ "$mrc" -eq 0 ] || return 1
  done
}

declare -A RESULT
failed=0
build_for "${found[0]}"
for i in "${!found[@]}"; do
  v=${found[$i]} next=${found[$((i + 1))]:-} dir=$out/${found[$i]}
  build_pid=
  if [ -n "$next" ]; then
    build_for "$next" &
    build_pid=$!
  fi
  echo
  echo "--- Python $v: ${PY[$v]} ($("${PY[$v]}" -c 'import platform; print(platform.python_version())'))"
  grep -h "^auditwheel show" "$dir/build.log"
  if [ ! -s "$dir/wheel" ]; then
    tail -n 30 "$dir/build.log"
    echo "Python $v: the wheel did not build or install"
    RESULT[$v]="build FAILED"; failed=$((failed + 1))
  else
    read -r wheel took <"$dir/wheel"
    echo "built and installed $(basename "$wheel") in $took s"

    # The published nob.py 1.6.3 (pure Python), unpacked once, for the interop
    # test that runs it as a peer of this build; skipped there without PyPI.
    if [ -z "${NOB_PY163_DIR:-}" ] && "$dir/venv/bin/python" -m pip download -q \
        --disable-pip-version-check --no-deps "nob.py==1.6.3" -d "$out/nob163" 2>/dev/null; then
      (cd "$out/nob163" && "$dir/venv/bin/python" -m zipfile -e nob_py-1.6.3-py3-none-any.whl unpacked)
      export NOB_PY163_DIR=$out/nob163/unpacked
    fi

    if [ "$v" = "$oldest" ] || [ "$v" = "$newest" ]; then
      what="whole suite" tests=("$root/tests/python")
    else
      what="subset" tests=("${SUBSET[@]/#/$root/tests/python/}")
    fi
    start=$SECONDS
    (cd "$dir/run" &&  # not the repo root: only the installed nob is importable
      "$dir/venv/bin/python" -m pytest "${tests[@]}" -q -p no:cacheprovider \
        --rootdir "$root/tests/python" -o addopts="") 2>&1 | tee "$dir/pytest.log"
    rc=${PIPESTATUS[0]}
    summary=$(grep -E '(passed|failed|error|no tests ran)' "$dir/pytest.log" | tail -n 1)
    RESULT[$v]="$what: ${summary:-no summary} ($((SECONDS - start)) s)"
    if [ "$rc" -eq 5 ]; then
      RESULT[$v]="$what: collected no tests"; rc=1
    fi
    if [ "$v" = "$newest" ]; then
      async_in_other_modes "$v" || rc=1
    fi
    [ "$rc" -eq 0 ] || failed=$((failed + 1))
  fi
  [ -z "$build_pid" ] || wait "$build_pid"
done

echo
echo "Python versions:"
for v in $wanted; do
  printf '  %-5s %s\n' "$v" "${RESULT[$v]:-NOT TESTED (not found)}"
done
[ ${#missing[@]} -eq 0 ] || echo "not tested, not found on this machine: ${missing[*]}"
echo "python: $((${#found[@]} - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
