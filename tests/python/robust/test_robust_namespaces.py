"""A holder in another PID namespace that shares /dev/shm: listed with its pid in its own
namespace, and its units come back when it is SIGKILLed (root and unshare(1) needed)."""

import os
import shutil
import subprocess
import sys
import time

import pytest

from nob.ipc import Flags, RobustSemaphore

from conftest import child_code

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None, reason="needs root and unshare(1)")

HOLDER = """
    import os, sys, time
    from nob.ipc import RobustSemaphore
    sem = RobustSemaphore(sys.argv[1])
    assert sem.acquire(timeout=30)
    print("holding", os.getpid(), flush=True)
    time.sleep(60)
"""


def test_a_holder_in_another_pid_namespace_is_seen_and_recovered(sem_name):
    sem = RobustSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    holder = subprocess.Popen(
        ["unshare", "--pid", "--fork", "--kill-child", sys.executable, "-c", child_code(HOLDER),
         sem_name],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = holder.stdout.readline().split()
        assert line[:1] == ["holding"], holder.stderr.read()
        inner_pid = int(line[1])
        assert inner_pid == 1  # the first process of its namespace
        assert [h.pid for h in sem.holders()] == [inner_pid]
        assert sem.acquire(False) is False
        kids = open(f"/proc/{holder.pid}/task/{holder.pid}/children").read().split()
        os.kill(int(kids[0]), 9)  # SIGKILL the holder itself, inside the namespace
        start = time.monotonic()
        assert sem.acquire(timeout=30)
        print(f"recovered after {1000 * (time.monotonic() - start):.0f} ms")
        sem.release()
    finally:
        holder.kill()
        holder.wait()
    assert sem.holders() == []
    sem.close()
