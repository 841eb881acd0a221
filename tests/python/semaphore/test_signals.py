"""Signals during a wait: Ctrl+C raises KeyboardInterrupt promptly, handler exceptions propagate
unchanged, handlers that return do not end the wait and the deadline holds."""

import os
import signal
import threading
import time

import pytest

from nob.ipc import Flags, NamedSemaphore

from conftest import remove_quietly, sem_exists, start_child, wait_for_line

BLOCKED_CHILD = """
    import sys
    from nob.ipc import Flags, NamedSemaphore
    sem = NamedSemaphore(sys.argv[1], 0, Flags.RAISE_IF_EXISTS)
    print("ready", flush=True)
    sem.acquire()
    print("acquired", flush=True)
"""

BLOCKED_CHILD_EXITING_1 = """
    import sys
    from nob.ipc import Flags, NamedSemaphore
    def main():
        sem = NamedSemaphore(sys.argv[1], 0, Flags.RAISE_IF_EXISTS)
        print("ready", flush=True)
        try:
            sem.acquire(timeout=60)
        except KeyboardInterrupt:
            print("KeyboardInterrupt", file=sys.stderr)
            return 1
        return 0
    sys.exit(main())
"""


@pytest.mark.parametrize(
    "code, exit_code",
    [(BLOCKED_CHILD_EXITING_1, 1), (BLOCKED_CHILD, -signal.SIGINT)],
    ids=["caught-exit-1", "uncaught"],
)
def test_sigint_raises_keyboard_interrupt_promptly_and_the_name_is_gone(sem_name, code, exit_code):
    """An uncaught KeyboardInterrupt makes CPython (3.8+) end by re-raising SIGINT: -2."""
    child = start_child(code, sem_name)
    try:
        wait_for_line(child, "ready")
        time.sleep(0.1)  # let it block in sem_wait
        assert sem_exists(sem_name)
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        rc = child.wait(timeout=10)
        assert time.monotonic() - sent < 1.0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    stderr = child.stderr.read()
    assert rc == exit_code
    assert "KeyboardInterrupt" in stderr
    assert not sem_exists(sem_name)


def test_sigterm_kills_and_the_name_remains(sem_name):
    child = start_child(BLOCKED_CHILD, sem_name)
    try:
        wait_for_line(child, "ready")
        child.send_signal(signal.SIGTERM)
        rc = child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert rc == -signal.SIGTERM
    assert sem_exists(sem_name)  # nobody ran close(): the name stays behind
    remove_quietly(sem_name)


@pytest.fixture
def empty(sem_name):
    s = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    yield s
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


def test_a_handler_that_returns_does_not_end_a_timed_wait(empty, alarm_every):
    calls = []
    start = time.monotonic()
    alarm_every(0.05, lambda signum, frame: calls.append(time.monotonic() - start))
    assert empty.acquire(timeout=0.6) is False
    elapsed = time.monotonic() - start
    signal.setitimer(signal.ITIMER_REAL, 0, 0)
    assert 0.6 <= elapsed < 2.6  # the original deadline, not restarted per signal
    assert len([t for t in calls if t < 0.55]) >= 3  # the handler ran during the wait


def test_a_handler_that_returns_does_not_end_an_untimed_wait(empty, alarm_every):
    calls = []
    alarm_every(0.03, lambda signum, frame: calls.append(signum))
    threading.Timer(0.4, empty.release).start()
    start = time.monotonic()
    assert empty.acquire() is True
    assert time.monotonic() - start >= 0.39
    assert len(calls) >= 3


class Boom(Exception):
    """Raised by a test signal handler."""


@pytest.mark.parametrize("kwargs", [{}, {"timeout": 30}, {"timeout": float("inf")}], ids=repr)
def test_an_exception_raised_by_a_handler_propagates_unchanged(empty, alarm_every, kwargs):
    raised = []

    def handler(signum, frame):
        raised.append(Boom("from the handler"))
        raise raised[-1]

    alarm_every(0.1, handler)
    start = time.monotonic()
    with pytest.raises(Boom) as info:
        empty.acquire(**kwargs)
    signal.setitimer(signal.ITIMER_REAL, 0, 0)
    assert info.value is raised[0]
    assert time.monotonic() - start < 5
    assert empty.value == 0


def test_keyboard_interrupt_in_process(empty):
    timer = threading.Timer(0.1, lambda: signal.pthread_kill(threading.main_thread().ident, signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        empty.acquire(timeout=30)
    timer.join()


def test_a_handler_that_closes_the_semaphore_ends_the_wait(empty, alarm_every):
    alarm_every(0.1, lambda signum, frame: empty.close())
    with pytest.raises(ValueError, match="closed"):
        empty.acquire(timeout=30)
    assert empty.closed
    assert not sem_exists(empty.name)


