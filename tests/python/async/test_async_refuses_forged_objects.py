"""The asyncio waiter (io_uring ring or helper thread) sleeps on a memory
address: no Python object may choose it.  A look-alike object passed to
nob.ipc._async is refused with TypeError, and a Python subclass of a
semaphore that overrides _wait_word_address() changes nothing (the address
comes from a C method), in every waiting mode.  Before: the look-alike
segfaulted the process in uring mode."""

import os

import pytest

from conftest import run_child

FORGED = """
import asyncio, sys
import nob.ipc._async as a


class LookAlike:
    closed = False
    value = 0

    def acquire(self, blocking):
        return False

    def _wait_word_address(self):
        return 8

    def _async_hold(self, on):
        pass


async def main():
    try:
        await a.acquire(LookAlike(), 0.3)
    except TypeError as e:
        print("TypeError", e, flush=True)
    else:
        print("accepted", flush=True)

asyncio.run(main())
"""

SUBCLASS = """
import asyncio, sys
from nob.ipc import Flags, NamedSemaphore, RobustSemaphore

base = NamedSemaphore if sys.argv[1] == "NamedSemaphore" else RobustSemaphore


class Forged(base):
    def _wait_word_address(self):
        return 8


async def main():
    sem = Forged(sys.argv[2], 1, handle_existence=Flags.RAISE_IF_EXISTS)
    try:
        assert sem.acquire()  # now empty
        print("empty", await sem.acquire_async(timeout=0.2), flush=True)
        asyncio.get_running_loop().call_later(0.05, sem.release)
        print("released", await sem.acquire_async(timeout=10), flush=True)
    finally:
        sem.close()
        base.remove(sys.argv[2])

asyncio.run(main())
"""

MODES = ["uring", "thread", "poll"]


def _in_mode(mode, monkeypatch):
    monkeypatch.setenv("NOB_ASYNC_WAIT", mode)


@pytest.mark.parametrize("mode", MODES)
def test_a_look_alike_object_is_refused(mode, monkeypatch):
    _in_mode(mode, monkeypatch)
    proc = run_child(FORGED)
    assert proc.returncode == 0, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stdout.startswith("TypeError acquire_async needs a nob.ipc semaphore"), proc.stdout


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", ["NamedSemaphore", "RobustSemaphore"])
def test_a_subclass_cannot_choose_the_wait_address(kind, mode, sem_name, monkeypatch):
    _in_mode(mode, monkeypatch)
    proc = run_child(SUBCLASS, kind, "/" + sem_name)
    assert proc.returncode == 0, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stdout.splitlines() == ["empty False", "released True"], (proc.stdout, proc.stderr)
    assert not os.path.exists("/dev/shm/sem." + sem_name)
