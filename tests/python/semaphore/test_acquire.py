"""acquire(): return values, blocking=False, timeouts that never end early and end within bounds."""

import math
import time

import pytest

from nob.ipc import Flags, NamedSemaphore


@pytest.fixture
def empty(sem_name):
    s = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    yield s
    s.close()


def test_acquire_takes_units_until_empty(sem_name):
    sem = NamedSemaphore(sem_name, 2, Flags.RAISE_IF_EXISTS)
    assert sem.acquire() is True
    assert sem.acquire(True) is True
    assert sem.value == 0
    assert sem.acquire(False) is False
    assert sem.acquire(blocking=False) is False
    sem.release()
    assert sem.acquire(blocking=False) is True
    sem.close()


def test_timeout_zero_tries_once(empty):
    start = time.monotonic()
    assert empty.acquire(timeout=0) is False
    assert empty.acquire(True, 0.0) is False
    assert time.monotonic() - start < 0.5
    empty.release()
    assert empty.acquire(timeout=0) is True


@pytest.mark.parametrize("timeout", [0.1, 0.25])
def test_timeout_returns_false_no_earlier_than_the_timeout(empty, timeout):
    start = time.monotonic()
    assert empty.acquire(timeout=timeout) is False
    elapsed = time.monotonic() - start
    assert timeout <= elapsed < timeout + 2.0
    assert empty.value == 0


def test_int_timeout(empty):
    start = time.monotonic()
    assert empty.acquire(timeout=1) is False
    assert 1.0 <= time.monotonic() - start < 3.0


def test_timeout_on_an_available_semaphore_returns_at_once(sem_name):
    sem = NamedSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    start = time.monotonic()
    assert sem.acquire(timeout=30) is True
    assert sem.acquire(timeout=0.05) is False
    sem.release()
    assert sem.acquire(timeout=math.inf) is True
    assert time.monotonic() - start < 2.0
    sem.close()


def test_acquire_returns_true_when_a_unit_arrives_in_time(empty):
    import threading

    timer = threading.Timer(0.1, empty.release)
    timer.start()
    start = time.monotonic()
    assert empty.acquire(timeout=10) is True
    assert time.monotonic() - start < 5.0
    timer.join()
    assert empty.value == 0


def test_infinite_timeout_waits_until_released(empty):
    import threading

    timer = threading.Timer(0.2, empty.release)
    start = time.monotonic()  # before the timer starts: it may fire 0.2 s after that
    timer.start()
    assert empty.acquire(timeout=math.inf) is True
    assert time.monotonic() - start >= 0.19
    timer.join()
