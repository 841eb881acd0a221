"""NamedMessageQueue: send/receive, priorities, limits, block, timeouts of 0, close, repr, weakref, pickling."""

import gc
import os
import pickle
import stat
import weakref

import pytest

from nob.ipc import Flags, NamedMessageQueue

pytestmark = pytest.mark.usefixtures("no_leftover_shm_mq")


@pytest.fixture
def mq(sem_name):
    q = NamedMessageQueue(sem_name, 3, 64, handle_existence=Flags.RAISE_IF_EXISTS)
    yield q
    q.close()


def test_send_and_receive_bytes_str_and_bytes_like(mq):
    assert mq.send(b"raw") is True
    assert mq.send("h\u00e9llo") is True
    assert mq.send(bytearray(b"ba")) is True
    assert mq.receive() == (b"raw", 0)
    assert mq.receive() == ("h\u00e9llo".encode(), 0)
    assert mq.receive(timeout=0) == (b"ba", 0)


def test_higher_priority_first_then_fifo(mq):
    mq.send(b"a", priority=1)
    mq.send(b"b", priority=5)
    mq.send(b"c", priority=1)
    assert [mq.receive() for _ in range(3)] == [(b"b", 5), (b"a", 1), (b"c", 1)]


def test_limits_and_attributes(mq, sem_name):
    assert mq.name == "/" + sem_name
    assert (mq.max_messages, mq.max_message_size) == (3, 64)
    assert mq.linked_existing_object is False and mq.unlink_on_delete is True
    assert mq.mqd == mq.mdq and mq.mqd >= 0
    assert mq.current_messages == 0
    mq.send(b"x")
    assert mq.current_messages == 1
    other = NamedMessageQueue(sem_name, 9, 999)  # limits only matter when creating
    assert (other.max_messages, other.max_message_size) == (3, 64)
    assert other.linked_existing_object is True and other.unlink_on_delete is False
    assert other.receive() == (b"x", 0)
    other.close()
    assert NamedMessageQueue.exists(sem_name)


def test_full_queue_and_empty_queue_with_timeout_zero(mq):
    assert mq.receive(0) is None
    assert mq.receive(timeout=0.0) is None
    for i in range(3):
        assert mq.send(b"%d" % i, timeout=0)
    assert mq.send(b"4", timeout=0) is False
    assert mq.send(b"4", timeout=0.05) is False
    assert mq.current_messages == 3


def test_block_false_tries_once_whatever_the_timeout(mq):
    assert mq.block is True
    mq.block = False
    assert mq.receive() is None
    assert mq.receive(timeout=5) is None
    for i in range(3):
        assert mq.send(b"m")
    assert mq.send(b"m") is False
    mq.block = True
    assert mq.receive() == (b"m", 0)


def test_message_too_long_is_refused_and_nothing_is_sent(mq):
    with pytest.raises(ValueError, match="longer than max_message_size"):
        mq.send(b"x" * 65)
    assert mq.current_messages == 0
    assert mq.send(b"x" * 64)
    assert mq.receive() == (b"x" * 64, 0)


def test_read_only_and_write_only_handles(mq, sem_name):
    reader = NamedMessageQueue(sem_name, write=False)
    writer = NamedMessageQueue(sem_name, read=False)
    assert writer.send(b"w")
    with pytest.raises(PermissionError):
        reader.send(b"r")
    with pytest.raises(PermissionError):
        writer.receive()
    assert reader.receive() == (b"w", 0)
    reader.close()
    writer.close()


def test_mode_is_exact(sem_name, tmp_path):
    old = os.umask(0o077)
    try:
        q = NamedMessageQueue(sem_name, 1, 8, handle_existence=Flags.RAISE_IF_EXISTS, mode=0o640)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.fstat(q.mqd).st_mode) == 0o640
    q.close()


CLOSED_CALLS = {
    "send": lambda q: q.send(b"x"),
    "send(timeout=0)": lambda q: q.send(b"x", timeout=0),
    "receive": lambda q: q.receive(),
    "receive(0)": lambda q: q.receive(0),
    "mqd": lambda q: q.mqd,
    "mdq": lambda q: q.mdq,
    "block": lambda q: q.block,
    "block=": lambda q: setattr(q, "block", False),
    "current_messages": lambda q: q.current_messages,
    "max_messages": lambda q: q.max_messages,
    "max_message_size": lambda q: q.max_message_size,
    "request_notification": lambda q: q.request_notification(),
    "unlink()": lambda q: q.unlink(),
    "unlink_on_delete=": lambda q: setattr(q, "unlink_on_delete", False),
}


@pytest.mark.parametrize("call", CLOSED_CALLS.values(), ids=list(CLOSED_CALLS))
def test_every_call_on_a_closed_queue_raises_value_error(sem_name, call):
    q = NamedMessageQueue(sem_name, 1, 8, handle_existence=Flags.RAISE_IF_EXISTS)
    q.close()
    q.close()  # idempotent
    assert q.closed is True
    assert not NamedMessageQueue.exists(sem_name)  # the creator's close() unlinked
    with pytest.raises(ValueError, match="closed"):
        call(q)


def test_with_closes_and_unlinks_the_creator(sem_name):
    with NamedMessageQueue(sem_name, 1, 8, handle_existence=Flags.RAISE_IF_EXISTS) as q:
        assert q.closed is False
    assert q.closed is True
    assert not NamedMessageQueue.exists(sem_name)
    assert NamedMessageQueue.remove(sem_name) is False


def test_unlink_on_delete_false_keeps_the_name(sem_name):
    q = NamedMessageQueue(sem_name, 1, 8, handle_existence=Flags.RAISE_IF_EXISTS,
                          unlink_on_delete=False)
    q.close()
    assert NamedMessageQueue.remove(sem_name) is True


def test_repr_weakref_and_pickling(sem_name):
    class Sub(NamedMessageQueue):
        pass

    q = Sub(sem_name, 2, 16, handle_existence=Flags.RAISE_IF_EXISTS)
    assert repr(q) == f"<Sub '/{sem_name}' max_messages=2 max_message_size=16>"
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(q)
    ref = weakref.ref(q)
    del q
    gc.collect()
    assert ref() is None
    assert not NamedMessageQueue.exists(sem_name)
