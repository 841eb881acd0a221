"""Typing: the hand-written .pyi matches the runtime (mypy.stubtest), and
user code type-checks under mypy --strict, with the INSTALLED package."""

import os
import subprocess
import sys
import textwrap

import nob

# Uses every public name of nob and nob.ipc, assigning results to typed variables.
USER_CODE = '''
import sys
from typing import Optional

import nob
from nob.ipc import SEMAPHORE_VALUE_MAX, Flags, NamedSemaphore


class Slots(NamedSemaphore):
    """A subclass: __enter__ must give back the subclass."""


def main(name: str) -> int:
    include: str = nob.get_include()
    version: str = nob.__version__
    top: int = SEMAPHORE_VALUE_MAX
    policy: Flags = NamedSemaphore.Flags.LINK_OR_CREATE
    same_enum: bool = NamedSemaphore.Flags is Flags
    sem = NamedSemaphore(name, 1, Flags.RAISE_IF_EXISTS, None, mode=0o600)
    other = NamedSemaphore(name, handle_existence=policy, unlink_on_delete=False)
    with sem as held:
        kept: NamedSemaphore = held
        assert kept is sem
    got: bool = sem.acquire()
    got = sem.acquire(False)
    got = sem.acquire(blocking=True, timeout=0.01)
    got = sem.acquire(timeout=1)
    sem.release()
    sem.release(2)
    value: int = sem.value
    sem_name: str = sem.name
    linked: bool = other.linked_existing_semaphore
    owner: bool = sem.unlink_on_delete
    sem.unlink_on_delete = True
    closed: bool = sem.closed
    there: bool = NamedSemaphore.exists(name)
    other.close()
    sem.unlink()
    sem.close()
    sem.close()
    gone: bool = NamedSemaphore.remove(name)
    with Slots(name, handle_existence=Flags.UNLINK_AND_CREATE) as slots:
        mine: Slots = slots
        left: Optional[int] = mine.value
    slots.close()
    print(include != "", version, top > 0, same_enum, got, value, sem_name,
          linked, owner, closed, there, gone, left)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
'''

# Each line is wrong in a way the stubs must catch.
MISUSE = '''
from nob.ipc import NamedSemaphore

sem = NamedSemaphore("/x")
a: str = sem.value
b: int = sem.name
c: int = sem.acquire(timeout="1")
sem.release(1.5)
NamedSemaphore(1)
NamedSemaphore("/x", handle_existence="LINK_OR_CREATE")
sem.closed = True
'''


def mypy(tmp_path, *args):
    """Runs mypy in a scratch directory; returns (exit status, output)."""
    r = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / ".mypy_cache"),
         "--no-error-summary", *args],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    return r.returncode, r.stdout + r.stderr


# The names of nob.ipc's pure-Python modules that are typing's own objects
# imported there (`from typing import Any, NamedTuple, Sequence`): each module
# imported, each of its attributes that IS the object of one of typing's public
# names and not a class, one regular expression per name (stubtest's allowlist
# format).
TYPING_IMPORTS = """
import importlib, pkgutil, re, typing
import nob.ipc
for found in pkgutil.walk_packages(nob.ipc.__path__, "nob.ipc."):
    if found.name.endswith(".__main__"):
        continue  # running it is what importing it means
    module = importlib.import_module(found.name)
    for attr, value in sorted(vars(module).items()):
        if attr in typing.__all__ and getattr(typing, attr) is value and not isinstance(value, type):
            print(re.escape(found.name + "." + attr))
"""


def test_stubtest_finds_the_stubs_match_the_runtime(needs_mypy, tmp_path):
    args = []
    if sys.version_info < (3, 10):
        # 3.9's stubtest reports "nob.ipc._cli.changes.Any is not a type" for a
        # name that a pure-Python module imports from typing (Any, Sequence,
        # NamedTuple are special forms, aliases or functions there, not classes;
        # 3.10 and later report nothing). Allowed: typing's objects as the
        # installed modules hold them, so a module added later is covered and
        # nothing of nob's own is; those that stubtest checks no differently
        # on 3.9 (List, Optional: aliases to it) are unused entries, not errors.
        found = subprocess.run([sys.executable, "-c", TYPING_IMPORTS], cwd=tmp_path,
                               capture_output=True, text=True, timeout=120)
        assert found.returncode == 0, found.stderr
        (tmp_path / "allowlist").write_text(found.stdout)
        args = ["--allowlist", str(tmp_path / "allowlist"), "--ignore-unused-allowlist"]
    r = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "nob.ipc", *args],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_each_function_of_the_c_modules_shows_its_own_signature():
    """Every function at module level of nob.ipc's Cython modules carries its signature
    in its docstring (the directive embedsignature.format=clinic), so inspect (and
    mypy.stubtest) reads the parameters the source declares, on every Python. Without
    it, a function that takes arguments has no __text_signature__ at all, and one that
    takes none (a METH_NOARGS builtin of binding=False) gets CPython 3.13's fallback
    "($self, /)", which inspect reads as "(self, /)" since its __self__ is None."""
    import importlib
    import inspect
    import pkgutil

    import nob.ipc

    signatures = {}
    for found in pkgutil.iter_modules(nob.ipc.__path__, "nob.ipc."):
        module = importlib.import_module(found.name)
        if not module.__file__.endswith(".so"):
            continue
        for attr, value in vars(module).items():
            if inspect.isbuiltin(value) and getattr(value, "__module__", None) == found.name:
                signatures[f"{found.name}.{attr}"] = getattr(value, "__text_signature__", None)
    assert signatures["nob.ipc._async.async_wait_mode"] == "()", signatures
    assert signatures["nob.ipc._cli_native.inspect_robust"] == "(fd)", signatures
    bad = {name: text for name, text in signatures.items()
           if text is None or text.startswith("($")}
    assert bad == {}, bad


def test_user_code_passes_mypy_strict_and_runs(needs_mypy, tmp_path, sem_name):
    src = tmp_path / "user_code.py"
    src.write_text(textwrap.dedent(USER_CODE))
    status, out = mypy(tmp_path, "--strict", str(src))
    assert status == 0, out
    run = subprocess.run([sys.executable, str(src), sem_name], capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split()[1] == nob.__version__


def test_mypy_rejects_misuse(needs_mypy, tmp_path):
    src = tmp_path / "misuse.py"
    src.write_text(MISUSE)
    status, out = mypy(tmp_path, "--strict", str(src))
    assert status == 1, out
    bad_lines = {int(line.split(":")[1]) for line in out.splitlines() if ": error:" in line}
    # every line after the constructor on line 4 is an error
    assert bad_lines >= {5, 6, 7, 8, 9, 10, 11}, out


def test_package_is_marked_typed():
    assert os.path.isfile(os.path.join(os.path.dirname(nob.__file__), "py.typed"))
    stub = os.path.join(os.path.dirname(nob.__file__), "ipc", "_semaphore.pyi")
    assert os.path.isfile(stub)
