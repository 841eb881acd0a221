"""RobustSemaphore never waits with the GIL held: deleting the last handle (which takes the
file-wide lock, byte 0) and exists()/remove() (which take the process's table mutex, held by
another thread's close while it waits for a file-wide lock) let the other Python threads run
while another process holds byte 0. They used to freeze the whole interpreter for as long."""

import threading
import time

import pytest

from nob.ipc import Flags, RobustSemaphore

from conftest import start_child, wait_for_line

HOLD_SECONDS = 2.0

LOCKER = """
    import fcntl, os, struct, sys, time
    fd = os.open("/dev/shm/nob~" + sys.argv[1], os.O_RDWR)
    fcntl.fcntl(fd, fcntl.F_OFD_SETLK, struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, 0, 1, 0))
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


class Ticker:
    """A thread that notes the time every 5 ms: the longest gap is how long no other thread
    could run Python code."""

    def __init__(self):
        self.ticks = [time.monotonic()]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.is_set():
            self.ticks.append(time.monotonic())
            time.sleep(0.005)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()

    def longest_gap(self, start, end):
        inside = [t for t in self.ticks if start <= t <= end]
        points = [start] + inside + [end]
        return max(b - a for a, b in zip(points, points[1:]))


def hold_byte0(name):
    """A child process that holds the file-wide lock of `name` for HOLD_SECONDS."""
    locker = start_child(LOCKER, name, HOLD_SECONDS)
    wait_for_line(locker, "locked")
    return locker


def test_deleting_the_last_handle_waits_for_the_lock_without_the_gil(sem_name):
    sem = RobustSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    locker = hold_byte0(sem_name)
    try:
        with Ticker() as ticker:
            start = time.monotonic()
            del sem  # the last handle: closes, waiting for byte 0 until the locker ends
            end = time.monotonic()
    finally:
        locker.kill()
        locker.wait()
    assert end - start >= 0.5  # it did wait for the lock (and then removed the name)
    assert ticker.longest_gap(start, end) < (end - start) / 2, (end - start)
    assert not RobustSemaphore.exists(sem_name)


@pytest.mark.parametrize("call", [RobustSemaphore.exists, RobustSemaphore.remove],
                         ids=["exists", "remove"])
def test_exists_and_remove_wait_for_the_table_without_the_gil(make_name, call):
    busy, other = make_name("busy"), make_name("other")
    first = RobustSemaphore(busy, 1, Flags.RAISE_IF_EXISTS)
    locker = hold_byte0(busy)
    # closes the process's last handle: waits (without the GIL) for byte 0, holding the
    # process's table mutex
    closer = threading.Thread(target=first.close)
    try:
        closer.start()
        time.sleep(0.3)
        with Ticker() as ticker:
            start = time.monotonic()
            assert call(other) is False  # an unrelated name: waits for the table mutex
            end = time.monotonic()
    finally:
        locker.kill()
        locker.wait()
        closer.join()
    assert end - start >= 0.5  # it did wait behind the closer
    assert ticker.longest_gap(start, end) < (end - start) / 2, (end - start)
    assert not RobustSemaphore.exists(busy)
