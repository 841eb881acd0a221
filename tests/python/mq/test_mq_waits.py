"""Blocking send/receive: timeouts never early, the GIL is released, Ctrl+C and
signal handlers during the wait, close() from another thread while waiting."""

import signal
import sys
import threading
import time

import pytest

from nob.ipc import Flags, NamedMessageQueue

from conftest import start_child, wait_for_line

pytestmark = pytest.mark.usefixtures("no_leftover_shm_mq")


@pytest.fixture
def mq(sem_name):
    q = NamedMessageQueue(sem_name, 1, 16, handle_existence=Flags.RAISE_IF_EXISTS)
    yield q
    q.close()


@pytest.mark.parametrize("timeout", [0.001, 0.05, 0.2])
def test_receive_timeout_is_never_early(mq, timeout):
    t0 = time.monotonic()
    assert mq.receive(timeout) is None
    assert time.monotonic() - t0 >= timeout


@pytest.mark.parametrize("timeout", [0.001, 0.05, 0.2])
def test_send_timeout_on_a_full_queue_is_never_early(mq, timeout):
    assert mq.send(b"fill")
    t0 = time.monotonic()
    assert mq.send(b"more", timeout=timeout) is False
    assert time.monotonic() - t0 >= timeout
    assert mq.current_messages == 1


def test_integer_and_infinite_timeouts(mq):
    threading.Timer(0.05, mq.send, (b"late",)).start()
    assert mq.receive(timeout=float("inf")) == (b"late", 0)
    threading.Timer(0.05, mq.send, (b"late",)).start()
    assert mq.receive(timeout=30) == (b"late", 0)
    for huge in (1e300, 2**100, 10**400):  # past any deadline: forever, not at once
        threading.Timer(0.05, mq.send, (b"late",)).start()
        assert mq.receive(timeout=huge) == (b"late", 0)


def test_other_threads_run_while_receive_waits(mq):
    """The GIL is released: a pure-Python thread counts while we wait."""
    count = 0
    stop = False

    def spin():
        nonlocal count
        while not stop:
            count += 1

    t = threading.Thread(target=spin)
    t.start()
    try:
        assert mq.receive(timeout=0.3) is None
    finally:
        stop = True
        t.join()
    assert count > 1000


def test_send_waits_for_room_made_by_another_thread(mq):
    mq.send(b"first")
    threading.Timer(0.1, mq.receive).start()
    t0 = time.monotonic()
    assert mq.send(b"second", timeout=30)
    assert time.monotonic() - t0 >= 0.09
    assert mq.receive(0) == (b"second", 0)


def test_a_handler_that_returns_does_not_end_the_wait(mq):
    calls = []
    old = signal.signal(signal.SIGALRM, lambda *a: calls.append(1))
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.02, 0.02)
        t0 = time.monotonic()
        assert mq.receive(timeout=0.3) is None
        assert time.monotonic() - t0 >= 0.3
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert len(calls) >= 3


@pytest.mark.parametrize("op", ["receive", "send"])
def test_a_handler_exception_propagates(mq, op):
    class Boom(Exception):
        pass

    def handler(*a):
        raise Boom

    if op == "send":
        mq.send(b"fill")
    old = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        t0 = time.monotonic()
        with pytest.raises(Boom):
            if op == "send":
                mq.send(b"blocked")
            else:
                mq.receive()
        assert time.monotonic() - t0 < 10
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert mq.current_messages == (1 if op == "send" else 0)  # nothing sent, nothing lost


CTRL_C_CHILD = """
import sys
from nob.ipc import NamedMessageQueue
q = NamedMessageQueue(sys.argv[1])
print("waiting", flush=True)
try:
    q.receive()
except KeyboardInterrupt:
    print("interrupted", flush=True)
    q.close()
    sys.exit(3)
"""


def test_ctrl_c_interrupts_a_blocking_receive_in_a_child(mq, sem_name):
    child = start_child(CTRL_C_CHILD, sem_name)
    wait_for_line(child, "waiting")
    time.sleep(0.1)  # let it block in mq_receive
    t0 = time.monotonic()
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=30)
    assert child.returncode == 3, err
    assert "interrupted" in out
    assert time.monotonic() - t0 < 5
    assert mq.current_messages == 0


def test_close_from_another_thread_while_waiting(mq, sem_name):
    errors = []

    def waiter():
        try:
            mq.receive(timeout=0.5)
        except ValueError as e:
            errors.append(e)

    t = threading.Thread(target=waiter)
    t.start()
    time.sleep(0.1)
    mq.close()
    assert mq.closed
    with pytest.raises(ValueError):
        mq.receive(0)
    assert not NamedMessageQueue.exists(sem_name)  # the name goes at once
    t.join(30)
    assert len(errors) == 1 and "closed while waiting" in str(errors[0])


def test_a_message_received_after_close_is_still_returned(mq, sem_name):
    # An untimed receive is one unsliced wait: close() cannot end it, so the
    # message sent after close() is what it returns. (A timed receive sees a
    # close() at its next slice end and raises ValueError instead: see
    # test_mq_close_unlinks_with_waiters.py.)
    got = []
    with NamedMessageQueue(sem_name) as sender:  # opened before the name goes
        t = threading.Thread(target=lambda: got.append(mq.receive()), daemon=True)
        t.start()
        time.sleep(0.1)
        mq.close()
        sender.send(b"kept")
        t.join(30)
    assert got == [(b"kept", 0)]
