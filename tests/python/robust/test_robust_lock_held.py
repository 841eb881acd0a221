"""A process that holds a robust semaphore's file-wide lock (byte 0 of its lock file, /dev/shm/nob~NAME) forever
cannot freeze an opener: the constructor fails with EBUSY after
NOB_ROBUST_LOCK_TIMEOUT_MS (5 s by default), and Ctrl+C ends it at once."""

import errno
import fcntl
import os
import signal
import struct
import subprocess
import sys
import time

import pytest

from nob.ipc import Flags, RobustSemaphore

OPENER = """
import signal, sys, time
from nob.ipc import RobustSemaphore
if sys.argv[2:] == ["ticks"]:  # a handler that returns, every 0.2 s: the bound still holds
    signal.signal(signal.SIGALRM, lambda *a: None)
    signal.setitimer(signal.ITIMER_REAL, 0.2, 0.2)
t0 = time.monotonic()
try:  # a signal from here on is the one the test aims at the constructor
    sys.stdin.readline()
    t0 = time.monotonic()
    print("ready", flush=True)
    RobustSemaphore(sys.argv[1])
except OSError as e:
    print(e.errno, round(time.monotonic() - t0, 2), str(e), flush=True)
    raise SystemExit(0)
except KeyboardInterrupt:
    print("KeyboardInterrupt", round(time.monotonic() - t0, 2), flush=True)
    raise SystemExit(3)
print("opened", flush=True)
"""


def hold_file_lock(name):
    """An OFD write lock on byte 0 of the lock file, on a descriptor of its own."""
    fd = os.open("/dev/shm/nob~" + name.lstrip("/"), os.O_RDWR)
    fcntl.fcntl(fd, fcntl.F_OFD_SETLK, struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, 0, 1, 0))
    return fd


def start_opener(name, *extra):
    return subprocess.Popen([sys.executable, "-c", OPENER, name, *extra], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("extra", [(), ("ticks",)])
def test_open_fails_busy_instead_of_waiting_forever(extra, sem_name):
    sem = RobustSemaphore(sem_name, 2, Flags.LINK_OR_CREATE, mode=0o666)
    proc = start_opener(sem_name, *extra)  # before the lock: a fork would wait for it too
    fd = hold_file_lock(sem_name)
    try:
        proc.stdin.write("go\n")
        proc.stdin.flush()
        out, err = proc.communicate(timeout=120)
    finally:
        os.close(fd)
        proc.kill()
        proc.wait()
    assert proc.returncode == 0, err
    code, took, message = out.splitlines()[-1].split(" ", 2)
    assert int(code) == errno.EBUSY
    assert "file-wide lock" in message
    assert 4.0 <= float(took) < 15  # one 5 s bound, also across interrupted tries
    assert sem.value == 2 and RobustSemaphore.exists(sem_name)
    sem.close()


def test_ctrl_c_ends_the_wait(sem_name):
    sem = RobustSemaphore(sem_name, 1, Flags.LINK_OR_CREATE, mode=0o666)
    proc = start_opener(sem_name)
    fd = hold_file_lock(sem_name)
    try:
        proc.stdin.write("go\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "ready"  # a loaded machine may be slow to get here
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        os.close(fd)
        proc.kill()
        proc.wait()
        sem.close()
    assert proc.returncode == 3, (out, err)
    word, took = out.split()
    assert word == "KeyboardInterrupt"
    assert float(took) < 4.0  # well before the 5 s bound


OPENER_OTHER_THREAD_SIGNALLED = """
import signal, sys, threading, time
from nob.ipc import RobustSemaphore
def ctrl_c_lands_on_this_thread():  # its C handler runs here: the opener's sleep goes on
    time.sleep(0.5)
    signal.pthread_kill(threading.get_ident(), signal.SIGINT)
t0 = time.monotonic()
try:
    threading.Thread(target=ctrl_c_lands_on_this_thread, daemon=True).start()
    RobustSemaphore(sys.argv[1])
except OSError as e:
    print(e.errno, round(time.monotonic() - t0, 2), flush=True)
    raise SystemExit(0)
except KeyboardInterrupt:
    print("KeyboardInterrupt", round(time.monotonic() - t0, 2), flush=True)
    raise SystemExit(3)
print("opened", flush=True)
"""


def test_ctrl_c_that_no_sleep_of_the_opener_sees_still_ends_the_wait(sem_name):
    """A SIGINT handled on another thread (or between two of the opener's sleeps) interrupts
    no system call of the opener: the open must still return to Python to run the handler,
    not wait for the 5 s bound and then raise KeyboardInterrupt inside `except OSError`."""
    sem = RobustSemaphore(sem_name, 1, Flags.LINK_OR_CREATE, mode=0o666)
    fd = hold_file_lock(sem_name)
    try:
        proc = subprocess.run([sys.executable, "-c", OPENER_OTHER_THREAD_SIGNALLED, sem_name],
                              capture_output=True, text=True, timeout=120)
    finally:
        os.close(fd)
        sem.close()
    assert proc.returncode == 3, (proc.stdout, proc.stderr)
    word, took = proc.stdout.split()
    assert word == "KeyboardInterrupt"
    assert float(took) < 4.0  # well before the 5 s bound


def test_close_with_the_lock_held_returns_and_leaves_a_stale_name(sem_name):
    sem = RobustSemaphore(sem_name, 1, Flags.LINK_OR_CREATE)
    sem.acquire()
    fd = hold_file_lock(sem_name)
    try:
        sem.close()  # cannot take the lock: leaves the name, raises nothing
    finally:
        os.close(fd)
    assert sem.closed
    assert os.path.exists("/dev/shm/nob." + sem_name.lstrip("/"))
    assert not RobustSemaphore.exists(sem_name)  # stale, and removed by the look
    assert not os.path.exists("/dev/shm/nob." + sem_name.lstrip("/"))
