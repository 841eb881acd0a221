"""Signals during a RobustSemaphore wait: Ctrl+C raises KeyboardInterrupt promptly (and frees
the name and units), a handler's exception propagates unchanged, a handler that returns does
not end the wait and the original deadline holds."""

import signal
import threading
import time

import pytest

from nob.ipc import Flags, RobustSemaphore

from conftest import start_child, wait_for_line

BLOCKED_CHILD = """
    import sys
    from nob.ipc import Flags, RobustSemaphore
    sem = RobustSemaphore(sys.argv[1], 1, Flags.RAISE_IF_EXISTS)
    sem.acquire()
    print("ready", flush=True)
    sem.acquire(timeout=float(sys.argv[2]) if len(sys.argv) > 2 else None)
    print("acquired", flush=True)
"""


@pytest.mark.parametrize("timed", [False, True], ids=["untimed", "timed"])
def test_sigint_in_a_child_raises_keyboard_interrupt_promptly_and_frees_everything(sem_name, timed):
    child = start_child(BLOCKED_CHILD, sem_name, *(["60"] if timed else []))
    try:
        wait_for_line(child, "ready")
        time.sleep(0.2)  # let it block
        assert RobustSemaphore.exists(sem_name)
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        rc = child.wait(timeout=30)
        print(f"SIGINT to exit: {(time.monotonic() - sent) * 1000:.0f} ms")
        assert time.monotonic() - sent < 3.0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert rc == -signal.SIGINT  # an uncaught KeyboardInterrupt re-raises SIGINT
    assert "KeyboardInterrupt" in child.stderr.read()
    assert not RobustSemaphore.exists(sem_name)


@pytest.fixture
def full(sem_name):
    """A one-unit pool whose unit this process holds."""
    s = RobustSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    assert s.acquire()
    yield s
    if not s.closed:
        s.release()
        s.close()


@pytest.fixture
def alarm_every():
    """alarm_every(interval, handler): SIGALRM every `interval` s; restored afterwards."""
    old = signal.getsignal(signal.SIGALRM)

    def install(interval, handler):
        signal.signal(signal.SIGALRM, handler)
        signal.setitimer(signal.ITIMER_REAL, interval, interval)

    yield install
    signal.setitimer(signal.ITIMER_REAL, 0, 0)
    signal.signal(signal.SIGALRM, old)


def test_a_handler_that_returns_does_not_end_a_timed_wait(full, alarm_every):
    calls = []
    start = time.monotonic()
    alarm_every(0.05, lambda signum, frame: calls.append(time.monotonic() - start))
    assert full.acquire(timeout=0.6) is False
    elapsed = time.monotonic() - start
    signal.setitimer(signal.ITIMER_REAL, 0, 0)
    assert 0.6 <= elapsed < 2.6  # the original deadline, not restarted per signal
    assert len([t for t in calls if t < 0.55]) >= 3


def test_a_handler_that_returns_does_not_end_an_untimed_wait(full, alarm_every):
    calls = []
    alarm_every(0.03, lambda signum, frame: calls.append(signum))
    threading.Timer(0.4, full.release).start()
    start = time.monotonic()
    assert full.acquire() is True
    assert time.monotonic() - start >= 0.39
    assert len(calls) >= 3


class Boom(Exception):
    """Raised by a test signal handler."""


@pytest.mark.parametrize("kwargs", [{}, {"timeout": 30}, {"timeout": float("inf")}], ids=repr)
def test_an_exception_raised_by_a_handler_propagates_unchanged(full, alarm_every, kwargs):
    raised = []

    def handler(signum, frame):
        raised.append(Boom("from the handler"))
        raise raised[-1]

    alarm_every(0.1, handler)
    start = time.monotonic()
    with pytest.raises(Boom) as info:
        full.acquire(**kwargs)
    signal.setitimer(signal.ITIMER_REAL, 0, 0)
    assert info.value is raised[0]
    assert time.monotonic() - start < 5
    assert (full.value, full.held) == (0, 1)


def test_keyboard_interrupt_in_process_takes_nothing(full):
    main = threading.main_thread().ident
    timer = threading.Timer(0.1, lambda: signal.pthread_kill(main, signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        full.acquire(timeout=30)
    timer.join()
    assert (full.value, full.held) == (0, 1)


def test_a_signal_that_lands_as_a_wait_slice_ends_is_not_lost(full):
    """The wait sleeps in slices of 50 ms; a signal that arrives just as a sleep times out
    interrupts nothing (the sleep returns ETIMEDOUT), so the binding must run the signal
    handlers after every slice, not only after EINTR. Signals aimed at slice ends."""
    import random

    main = threading.main_thread().ident
    rng = random.Random(1)
    slow = []
    for _ in range(30):
        timer = threading.Timer(0.1 + rng.uniform(-0.002, 0.002),
                                lambda: signal.pthread_kill(main, signal.SIGINT))
        start = time.monotonic()
        timer.start()
        try:
            full.acquire(timeout=10)
        except KeyboardInterrupt:
            pass
        else:
            raise AssertionError("acquire returned although the only unit is held")
        timer.join()
        slow.append(time.monotonic() - start)
    assert max(slow) < 2.0, sorted(slow)[-3:]
    assert (full.value, full.held) == (0, 1)
