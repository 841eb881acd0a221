#!/usr/bin/env bash
# Python: builds the nob.py wheel from this tree (with build isolation, as
# `pip install .` does), installs it with its `test` extra into a fresh venv,
# and runs tests/python there against the INSTALLED package (from a directory
# where the source tree's bindings/python/nob cannot shadow it).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
out=$root/build-ci-py
rm -rf "$out"
mkdir -p "$out/dist" "$out/run"

python3 -m pip wheel . --no-deps --disable-pip-version-check -q -w "$out/dist"
wheel=$(ls "$out"/dist/nob_py-*.whl | head -n 1)
echo "built $(basename "$wheel")"

python3 -m venv "$out/venv"
"$out/venv/bin/python" -m pip install -q --disable-pip-version-check "${wheel}[test]"

# The published nob.py 1.6.3 (pure Python), unpacked, for the interop test
# that runs it as a peer of this build; skipped there if PyPI cannot be reached.
if "$out/venv/bin/python" -m pip download -q --disable-pip-version-check --no-deps \
    "nob.py==1.6.3" -d "$out/nob163" 2>/dev/null; then
  (cd "$out/nob163" && "$out/venv/bin/python" -m zipfile -e nob_py-1.6.3-py3-none-any.whl unpacked)
  export NOB_PY163_DIR=$out/nob163/unpacked
fi

cd "$out/run"  # not the repo root: only the installed nob is importable
set +e
"$out/venv/bin/python" -m pytest "$root/tests/python" -q -p no:cacheprovider \
  --rootdir "$root/tests/python" -o addopts="" 2>&1 | tee "$out/pytest.log"
rc=${PIPESTATUS[0]}
set -e
echo "pytest: $(grep -E '(passed|failed|error|no tests ran)' "$out/pytest.log" | tail -n 1)"
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: failure" >&2
  exit 1
fi

# asyncio in every waiting mode (docs/python.md, "Waiting modes"): the run
# above used the best mode this kernel allows; the asyncio tests run again
# in each other mode this kernel has (NOB_ASYNC_WAIT=uring|thread|poll).
mode_of() { NOB_ASYNC_WAIT=$1 "$out/venv/bin/python" -c 'import nob.ipc as n; print(n.async_wait_mode())'; }
best=$(mode_of "")
for mode in uring thread poll; do
  if [ "$mode" = "$best" ]; then continue; fi
  if [ "$(mode_of "$mode")" != "$mode" ]; then
    echo "asyncio tests, NOB_ASYNC_WAIT=$mode: this kernel has no such mode (skipped)"
    continue
  fi
  set +e
  NOB_ASYNC_WAIT=$mode "$out/venv/bin/python" -m pytest "$root"/tests/python/test_async_*.py -q \
    -p no:cacheprovider --rootdir "$root/tests/python" -o addopts="" 2>&1 | tee "$out/pytest-$mode.log"
  mrc=${PIPESTATUS[0]}
  set -e
  echo "pytest, asyncio tests, NOB_ASYNC_WAIT=$mode: $(grep -E '(passed|failed|error)' "$out/pytest-$mode.log" | tail -n 1)"
  if [ "$mrc" -ne 0 ] && [ "$rc" -eq 0 ]; then rc=$mrc; fi
done
exit "$rc"
