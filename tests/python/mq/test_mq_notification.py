"""request_notification(): a signal, a (function, param) pair run in a new thread,
None to cancel; False when another process is registered."""

import signal
import subprocess
import threading
import time

import pytest

from nob.ipc import Flags, NamedMessageQueue

from conftest import start_child, wait_for_line

pytestmark = pytest.mark.usefixtures("no_leftover_shm_mq")


@pytest.fixture
def queue(sem_name):
    q = NamedMessageQueue(sem_name, 2, 16, handle_existence=Flags.RAISE_IF_EXISTS)
    yield q
    q.close()


def test_signal_notification_fires_once(queue):
    got = []
    old = signal.signal(signal.SIGUSR1, lambda signo, frame: got.append(signo))
    try:
        assert queue.request_notification(signal.SIGUSR1) is True
        queue.send(b"first")
        deadline = time.monotonic() + 10
        while not got and time.monotonic() < deadline:
            time.sleep(0.01)
        assert got == [signal.SIGUSR1]
        queue.receive(0)
        queue.send(b"again")  # the registration was used up
        time.sleep(0.2)
        assert got == [signal.SIGUSR1]
    finally:
        signal.signal(signal.SIGUSR1, old)


def test_function_notification_runs_in_a_new_thread(queue):
    ran = threading.Event()
    seen = []

    def notified(param):
        seen.append((param, threading.get_ident()))
        ran.set()

    assert queue.request_notification((notified, "param")) is True
    queue.send(b"x")
    assert ran.wait(10)
    assert seen[0][0] == "param" and seen[0][1] != threading.get_ident()


def test_none_cancels(queue):
    ran = threading.Event()
    assert queue.request_notification((lambda p: ran.set(), None)) is True
    assert queue.request_notification() is True
    queue.send(b"x")
    assert not ran.wait(0.3)


def test_close_cancels(queue, sem_name):
    ran = threading.Event()
    assert queue.request_notification((lambda p: ran.set(), None)) is True
    queue.close()
    with NamedMessageQueue(sem_name, 2, 16, handle_existence=Flags.LINK_OR_CREATE) as other:
        other.send(b"x")
        assert not ran.wait(0.3)


def test_a_second_request_is_refused_while_one_is_registered(queue):
    assert queue.request_notification(signal.SIGUSR2) is True
    assert queue.request_notification((print, 1)) is False  # the kernel's EBUSY
    assert queue.request_notification(None) is True


REGISTERED_CHILD = """
import signal, sys
from nob.ipc import NamedMessageQueue
q = NamedMessageQueue(sys.argv[1])
signal.signal(signal.SIGUSR1, signal.SIG_IGN)
assert q.request_notification(signal.SIGUSR1)
print("registered", flush=True)
sys.stdin.readline()
q.close()
"""


def test_false_when_another_process_is_registered(queue, sem_name):
    child = start_child(REGISTERED_CHILD, sem_name, stdin=subprocess.PIPE)
    try:
        wait_for_line(child, "registered")
        assert queue.request_notification((print, 1)) is False
    finally:
        _, err = child.communicate("\n", timeout=30)
        assert child.returncode == 0, err
    assert queue.request_notification((print, 1)) is True  # the child's close freed it
    queue.request_notification(None)
