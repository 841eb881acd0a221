"""Typing of nob.ipc._robust: the hand-written .pyi matches the runtime (mypy.stubtest), and
user code of every public member type-checks under mypy --strict and runs (INSTALLED package)."""

import subprocess
import sys
import textwrap

USER_CODE = '''
import sys
from typing import List

from nob.ipc import Flags, Holder, RobustSemaphore


class Pool(RobustSemaphore):
    """A subclass: __enter__ must give back the subclass."""


def main(name: str) -> int:
    sem = RobustSemaphore(name, 2, Flags.RAISE_IF_EXISTS, persistent=False, mode=0o600)
    other = RobustSemaphore(name, handle_existence=RobustSemaphore.Flags.LINK_OR_CREATE)
    with sem as held:
        kept: RobustSemaphore = held
        who: List[Holder] = kept.holders()
        pid: int = who[0].pid
        units: int = who[0].units
    got: bool = sem.acquire()
    got = sem.acquire(False)
    got = sem.acquire(blocking=True, timeout=0.01)
    sem.release()
    value: int = sem.value
    capacity: int = sem.capacity
    mine: int = sem.held
    keep: bool = sem.persistent
    sem.persistent = False
    linked: bool = other.linked_existing_semaphore
    there: bool = RobustSemaphore.exists(name)
    sem_name: str = sem.name
    other.close()
    sem.unlink()
    sem.close()
    closed: bool = sem.closed
    gone: bool = RobustSemaphore.remove(name)
    with Pool(name, 1, Flags.UNLINK_AND_CREATE) as pool:
        mine_too: Pool = pool
    mine_too.close()
    print(pid, units, got, value, capacity, mine, keep, linked, there, sem_name, closed, gone)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
'''

MISUSE = '''
from nob.ipc import RobustSemaphore

sem = RobustSemaphore("/x")
a: str = sem.value
b: int = sem.name
c: int = sem.acquire(timeout="1")
sem.release(1.5)
RobustSemaphore("/x", persistent=1)
sem.persistent = "yes"
d: str = sem.holders()[0].pid
'''


def run(tmp_path, *args):
    r = subprocess.run([sys.executable, "-m", *args], cwd=tmp_path, capture_output=True,
                       text=True, timeout=300)
    return r.returncode, r.stdout + r.stderr


def test_stubtest_finds_the_stubs_match_the_runtime(needs_mypy, tmp_path):
    status, out = run(tmp_path, "mypy.stubtest", "nob.ipc._robust")
    assert status == 0, out


def test_user_code_passes_mypy_strict_and_runs(needs_mypy, tmp_path, sem_name):
    src = tmp_path / "user_code.py"
    src.write_text(textwrap.dedent(USER_CODE))
    status, out = run(tmp_path, "mypy", "--cache-dir", str(tmp_path / "c"), "--strict", str(src))
    assert status == 0, out
    ran = subprocess.run([sys.executable, str(src), sem_name], capture_output=True, text=True,
                         timeout=60)
    assert ran.returncode == 0, ran.stderr


def test_mypy_rejects_misuse(needs_mypy, tmp_path):
    src = tmp_path / "misuse.py"
    src.write_text(MISUSE)
    status, out = run(tmp_path, "mypy", "--cache-dir", str(tmp_path / "c"), "--strict", str(src))
    assert status == 1, out
    bad_lines = {int(line.split(":")[1]) for line in out.splitlines() if ": error:" in line}
    assert bad_lines >= {5, 6, 7, 8, 9, 10, 11}, out
