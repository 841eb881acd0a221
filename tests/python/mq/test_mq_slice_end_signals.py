"""A signal that lands just as a wait slice ends is not lost: timed send/receive wait in
slices of 50 ms (steady deadlines on CLOCK_REALTIME-only system calls); a signal that
arrives as a slice times out interrupts nothing (ETIMEDOUT, not EINTR), so the one-step
call must hand back to Python after every slice. SIGINT aimed at slice ends must raise
KeyboardInterrupt within a slice or so, never only at the deadline."""

import random
import signal
import threading
import time

import pytest

from nob.ipc import Flags, NamedMessageQueue

pytestmark = pytest.mark.usefixtures("no_leftover_shm_mq")


@pytest.fixture
def mq(sem_name):
    q = NamedMessageQueue(sem_name, 1, 16, handle_existence=Flags.RAISE_IF_EXISTS)
    yield q
    q.close()


def _interrupt_at_slice_ends(call):
    """SIGINT to the main thread about 100 ms (two slices) after `call` starts, swept
    over +-2 ms; returns the slowest time from the signal to the KeyboardInterrupt."""
    main = threading.main_thread().ident
    rng = random.Random(7)
    worst = 0.0
    for _ in range(60):
        sent = []
        aim = 0.1 + rng.uniform(-0.002, 0.002)
        timer = threading.Timer(
            aim, lambda: (sent.append(time.monotonic()), signal.pthread_kill(main, signal.SIGINT)))
        timer.start()
        try:
            call()
        except KeyboardInterrupt:
            pass
        else:
            raise AssertionError("the call ended although nothing could move")
        timer.join()
        worst = max(worst, time.monotonic() - sent[0])
    return worst


def test_sigint_at_a_receive_slice_end_raises_promptly(mq):
    worst = _interrupt_at_slice_ends(lambda: mq.receive(timeout=5))
    assert worst < 2.0, f"a SIGINT waited {worst:.2f} s for the deadline"
    assert mq.current_messages == 0


def test_sigint_at_a_send_slice_end_raises_promptly(mq):
    assert mq.send(b"fill")
    worst = _interrupt_at_slice_ends(lambda: mq.send(b"more", timeout=5))
    assert worst < 2.0, f"a SIGINT waited {worst:.2f} s for the deadline"
    assert mq.current_messages == 1
    assert mq.receive(0) == (b"fill", 0)
