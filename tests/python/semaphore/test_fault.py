"""Faults: a SIGKILLed holder, broken backing files, signal storms."""

import os
import signal
import threading
import time

import pytest

from conftest import shm_path, start_child, wait_for_line
from nob.ipc import Flags, NamedSemaphore

HOLDER = """
import sys, time
from nob.ipc import NamedSemaphore
s = NamedSemaphore(sys.argv[1])
s.acquire()
print("holding", flush=True)
time.sleep(60)
"""


def test_sigkilled_holder_loses_its_unit_and_release_repairs(sem_name):
    sem = NamedSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    kid = start_child(HOLDER, sem_name)
    wait_for_line(kid, "holding")
    kid.send_signal(signal.SIGKILL)
    kid.wait(10)
    assert kid.returncode == -signal.SIGKILL
    assert sem.value == 0  # no owner-death recovery: the unit is gone
    assert sem.acquire(timeout=0.1) is False
    sem.release()  # the repair
    assert sem.acquire(timeout=5) is True
    sem.release()
    assert sem.value == 1
    sem.close()


@pytest.mark.parametrize("size", [0, 3, 31])
def test_truncated_backing_file_raises_oserror_not_sigbus(sem_name, size):
    with open(shm_path(sem_name), "wb") as f:
        f.write(b"\xff" * size)
    try:
        for flags in (Flags.RAISE_IF_NOT_EXISTS, Flags.LINK_OR_CREATE):
            with pytest.raises(OSError) as err:
                NamedSemaphore(sem_name, handle_existence=flags)
            assert err.value.errno is not None
    finally:
        os.unlink(shm_path(sem_name))


def test_directory_or_symlink_as_backing_file_raises_oserror(make_name):
    target = NamedSemaphore(make_name("target"), 4, Flags.RAISE_IF_EXISTS)
    link, folder = make_name("link"), make_name("dir")
    os.symlink(shm_path(target.name), shm_path(link))
    os.mkdir(shm_path(folder))
    try:
        for name in (link, folder):
            with pytest.raises(OSError):
                NamedSemaphore(name, handle_existence=Flags.LINK_OR_CREATE)
        assert target.value == 4
    finally:
        os.unlink(shm_path(link))
        os.rmdir(shm_path(folder))
        target.close()


class Storm:
    """Sends SIGUSR1 to this process every ~0.5 ms from a helper process."""

    def __init__(self):
        self.hits = 0
        self.old = signal.signal(signal.SIGUSR1, self._handler)
        self.kid = start_child(
            "import os, sys, time\n"
            "pid = int(sys.argv[1])\n"
            "while True:\n"
            "    os.kill(pid, 10); time.sleep(0.0005)\n",
            os.getpid(),
        )

    def _handler(self, signum, frame):
        self.hits += 1

    def stop(self):
        self.kid.kill()
        self.kid.wait(10)
        self.kid.stdout.close()
        self.kid.stderr.close()
        signal.signal(signal.SIGUSR1, self.old)


def test_signal_storm_does_not_end_timed_waits_early(sem_name):
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    storm = Storm()
    try:
        time.sleep(0.05)
        for _ in range(3):
            t0 = time.monotonic()
            assert sem.acquire(timeout=0.2) is False
            assert 0.2 <= time.monotonic() - t0 < 5
    finally:
        storm.stop()
    assert storm.hits > 20
    sem.close()


def test_signal_storm_does_not_end_untimed_wait(sem_name):
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    threading.Timer(0.4, NamedSemaphore(sem_name).release).start()
    storm = Storm()
    try:
        time.sleep(0.05)
        t0 = time.monotonic()
        assert sem.acquire() is True  # only the post ends it
        assert time.monotonic() - t0 >= 0.3
    finally:
        storm.stop()
    assert storm.hits > 20
    assert sem.value == 0
    sem.close()
