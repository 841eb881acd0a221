"""Typing of NamedSharedMemory and NamedMessageQueue: the .pyi match the runtime
(mypy.stubtest) and user code passes mypy --strict and runs; misuse is caught."""

import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.usefixtures("no_leftover_shm_mq")

USER_CODE = '''
import mmap
import signal
import sys
from typing import Optional, Tuple

from nob.ipc import Flags, NamedMessageQueue, NamedSharedMemory


class Frames(NamedSharedMemory):
    """A subclass: __enter__ gives back the subclass."""


def main(name: str) -> int:
    with Frames(name, 64, False, Flags.RAISE_IF_EXISTS, None, mode=0o600) as shm:
        kept: Frames = shm
        size: int = shm.size
        fd: int = shm.fd
        ro: bool = shm.read_only
        mapped: mmap.mmap = shm.mmap()
        mapped.close()
        linked: bool = shm.linked_existing_object
        owner: bool = shm.unlink_on_delete
        shm.unlink_on_delete = True
        there: bool = NamedSharedMemory.exists(name)
    closed: bool = kept.closed
    gone: bool = NamedSharedMemory.remove(name)
    mq = NamedMessageQueue(name, 2, 32, True, True, Flags.RAISE_IF_EXISTS, None, mode=0o600)
    sent: bool = mq.send(b"a")
    sent = mq.send("b", timeout=0.5, priority=1)
    sent = mq.send(bytearray(b"c"), 0)
    message, priority = mq.receive()
    got: Optional[Tuple[bytes, int]] = mq.receive(timeout=0)
    got = mq.receive(None) if mq.current_messages else None
    mq.block = False
    block: bool = mq.block
    counts: Tuple[int, int, int] = (mq.current_messages, mq.max_messages, mq.max_message_size)
    mqd: int = mq.mqd + mq.mdq
    ok: bool = mq.request_notification(signal.SIGUSR1)
    ok = mq.request_notification((print, "x"))
    ok = mq.request_notification()
    with mq as same:
        assert same is mq
    mq.close()
    mq.close()
    print(size, fd, ro, linked, owner, there, closed, gone, sent, message, priority, got,
          block, counts, mqd > 0, ok, mq.name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
'''

MISUSE = '''
from nob.ipc import NamedMessageQueue, NamedSharedMemory

q = NamedMessageQueue("/x")
s = NamedSharedMemory("/x")
a: str = s.size
b: str = q.receive()
q.send(1)
q.send(b"x", timeout="1")
NamedSharedMemory("/x", size="1")
q.block = 1
s.closed = True
'''


def mypy(tmp_path, *args):
    r = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / ".mypy_cache"),
         "--no-error-summary", *args],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    return r.returncode, r.stdout + r.stderr


def test_stubtest_of_the_two_modules(needs_mypy, tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "nob.ipc._shared_memory", "nob.ipc._message_queue"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


def test_user_code_passes_mypy_strict_and_runs(needs_mypy, tmp_path, sem_name):
    src = tmp_path / "user_code.py"
    src.write_text(textwrap.dedent(USER_CODE))
    status, out = mypy(tmp_path, "--strict", str(src))
    assert status == 0, out
    run = subprocess.run([sys.executable, str(src), sem_name], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.rstrip().endswith("/" + sem_name)


def test_mypy_rejects_misuse(needs_mypy, tmp_path):
    src = tmp_path / "misuse.py"
    src.write_text(MISUSE)
    status, out = mypy(tmp_path, "--strict", str(src))
    assert status == 1, out
    bad = {int(line.split(":")[1]) for line in out.splitlines() if ": error:" in line}
    assert bad >= {6, 7, 8, 9, 10, 11, 12}, out
