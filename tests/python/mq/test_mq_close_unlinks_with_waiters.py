"""close() unlinks the name at once when unlink_on_delete, even while another
thread of this process still waits in receive() on the same object (the
descriptor's close is what waits for that thread, not the unlink): the
contract's "close() unlinks when unlink_on_delete" holds, and the name is
free for a new RAISE_IF_EXISTS right away."""

import threading
import time

import pytest

from nob.ipc import Flags, NamedMessageQueue

pytestmark = pytest.mark.usefixtures("no_leftover_shm_mq")


def test_close_unlinks_while_a_receiver_waits(sem_name):
    q = NamedMessageQueue(sem_name, handle_existence=Flags.RAISE_IF_EXISTS)
    feeder = NamedMessageQueue(sem_name)  # linked: never unlinks
    got = []
    t = threading.Thread(target=lambda: got.append(q.receive()))
    t.start()
    try:
        time.sleep(0.3)  # the receiver is blocked in receive() by now
        q.close()
        assert q.closed
        assert not NamedMessageQueue.exists(sem_name)
        with NamedMessageQueue(sem_name, handle_existence=Flags.RAISE_IF_EXISTS):
            pass  # the name is free again
    finally:
        feeder.send(b"wake")  # the waiter's descriptor still reaches the old queue
        t.join(10)
        feeder.close()
        NamedMessageQueue.remove(sem_name)
    assert not t.is_alive()
    assert got == [(b"wake", 0)]


def test_close_leaves_a_name_it_does_not_own_and_a_timed_waiter_ends_within_a_slice(sem_name):
    q = NamedMessageQueue(sem_name, handle_existence=Flags.RAISE_IF_EXISTS)
    q.unlink_on_delete = False
    ended = []

    def waiter():
        t0 = time.monotonic()
        with pytest.raises(ValueError, match="closed while waiting"):
            q.receive(timeout=30.0)
        ended.append(time.monotonic() - t0)  # the waiter checks after each 50 ms slice (docs)

    t = threading.Thread(target=waiter)
    t.start()
    try:
        time.sleep(0.3)
        q.close()
        assert NamedMessageQueue.exists(sem_name)
    finally:
        t.join(10)
        NamedMessageQueue.remove(sem_name)
    assert not t.is_alive() and len(ended) == 1
    print(f"close() to ValueError in the waiter: {(ended[0] - 0.3) * 1000:.0f} ms")
    assert 0.3 <= ended[0] < 5.0, ended  # within slices of close(), not at the 30 s timeout
