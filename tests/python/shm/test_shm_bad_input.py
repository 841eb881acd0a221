"""Bad input to NamedSharedMemory and NamedMessageQueue: ValueError (ArgumentTypeError
for a wrong type) before any system call; nothing created, nothing sent, no crash."""

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nob.ipc import ArgumentTypeError, Flags, NamedMessageQueue, NamedSharedMemory

pytestmark = pytest.mark.usefixtures("no_leftover_shm_mq")

# (None is no bad name: it asks for a fresh one, tests/python/common/test_fresh_*.py.)
BAD_NAMES = ["", "/", ".", "..", "a/b", "x y", "\u00e9", "x\x00", "x" * 252, 1, b"jobs"]
BAD_FLAGS = ["RAISE_IF_EXISTS", 0, None, True]
BAD_BOOL = [1, 0, None, "yes", 1.0]
BAD_MODE = [-1, 0o1000, 0o4755, 1.0, "0o600", None, True]
BAD_SIZE = [-1, -(2**64), 2**63, 1.5, 1.0, math.nan, "1", None, True, [1]]
BAD_LIMIT = [0, -1, 2**31, 1.5, math.nan, "1", True, [1]]
BAD_TIMEOUT = [-1, -0.001, math.nan, -math.inf, "1", b"1", [1], 1j, True]
BAD_PRIORITY = [-1, 32768, 2**64, 1.5, math.nan, "1", None, True]
BAD_MESSAGE = [None, 1, 1.5, ["x"], object()]
BAD_NOTIFICATION = [0, -1, 65, 2**64, 1.5, "SIGUSR1", (print,), (print, 1, 2), (1, 2), [print, 1]]


def shm(name, **kw):
    kw.setdefault("handle_existence", Flags.LINK_OR_CREATE)
    return NamedSharedMemory(name, **kw)


def mq(name, **kw):
    kw.setdefault("handle_existence", Flags.LINK_OR_CREATE)
    kw.setdefault("max_messages", 1)
    kw.setdefault("max_message_size", 8)
    return NamedMessageQueue(name, **kw)


CONSTRUCTOR_CASES = (
    [(f, "name", v) for f in (shm, mq) for v in BAD_NAMES]
    + [(f, "handle_existence", v) for f in (shm, mq) for v in BAD_FLAGS]
    + [(f, "unlink_on_delete", v) for f in (shm, mq) for v in BAD_BOOL if v is not None]
    + [(f, "mode", v) for f in (shm, mq) for v in BAD_MODE]
    + [(shm, "size", v) for v in BAD_SIZE]
    + [(shm, "read_only", v) for v in BAD_BOOL]
    + [(mq, "max_messages", v) for v in BAD_LIMIT]
    + [(mq, "max_message_size", v) for v in BAD_LIMIT]
    + [(mq, "read", v) for v in BAD_BOOL]
    + [(mq, "write", v) for v in BAD_BOOL]
)


@pytest.mark.parametrize("make,arg,value", CONSTRUCTOR_CASES,
                         ids=[f"{m.__name__}-{a}-{v!r}"[:60] for m, a, v in CONSTRUCTOR_CASES])
def test_bad_constructor_argument(sem_name, make, arg, value):
    cls = NamedSharedMemory if make is shm else NamedMessageQueue
    with pytest.raises(ValueError):
        if arg == "name":
            make(value)
        else:
            make(sem_name, **{arg: value})
    assert not cls.exists(sem_name)


def test_wrong_types_are_argument_type_errors(sem_name):
    with pytest.raises(ArgumentTypeError):
        shm(sem_name, size="1")
    with pytest.raises(TypeError):
        mq(sem_name, max_messages=1.0)


def test_read_and_write_both_false(sem_name):
    with pytest.raises(ValueError):
        mq(sem_name, read=False, write=False)
    assert not NamedMessageQueue.exists(sem_name)


@pytest.fixture
def queue(sem_name):
    q = mq(sem_name, max_messages=2, max_message_size=8)
    yield q
    q.close()


@pytest.mark.parametrize("value", BAD_TIMEOUT, ids=repr)
@pytest.mark.parametrize("op", ["send", "receive"])
def test_bad_timeout_sends_nothing(queue, op, value):
    with pytest.raises(ValueError):
        if op == "send":
            queue.send(b"x", value)
        else:
            queue.receive(value)
    assert queue.current_messages == 0


@pytest.mark.parametrize("value", BAD_PRIORITY, ids=repr)
def test_bad_priority_sends_nothing(queue, value):
    with pytest.raises(ValueError):
        queue.send(b"x", priority=value)
    assert queue.current_messages == 0


@pytest.mark.parametrize("value", BAD_MESSAGE, ids=repr)
def test_bad_message_sends_nothing(queue, value):
    with pytest.raises(ValueError):
        queue.send(value)
    assert queue.current_messages == 0


@pytest.mark.parametrize("value", [b"x" * 9, "\u00e9" * 5, bytearray(100)], ids=len)
def test_message_too_long_sends_nothing(queue, value):
    with pytest.raises(ValueError, match="max_message_size"):
        queue.send(value, timeout=0)
    assert queue.current_messages == 0


def test_unencodable_str_sends_nothing(queue):
    with pytest.raises(ValueError):
        queue.send("\ud800")
    assert queue.current_messages == 0


@pytest.mark.parametrize("value", BAD_NOTIFICATION, ids=repr)
def test_bad_notification(queue, value):
    with pytest.raises(ValueError):
        queue.request_notification(value)


@pytest.mark.parametrize("attr", ["block", "unlink_on_delete"])
@pytest.mark.parametrize("value", BAD_BOOL, ids=repr)
def test_bad_bool_attributes(queue, attr, value):
    before = getattr(queue, attr)
    with pytest.raises(ValueError):
        setattr(queue, attr, value)
    assert getattr(queue, attr) == before


def test_shm_unlink_on_delete_setter_refuses_non_bool(sem_name):
    with shm(sem_name, size=8) as s:
        with pytest.raises(ValueError):
            s.unlink_on_delete = 1
        assert s.unlink_on_delete is True


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(timeout=st.one_of(st.floats(max_value=0.002), st.just(math.nan), st.integers(-10**30, 0)))
def test_property_a_timeout_is_refused_exactly_when_negative_or_nan(sem_name, timeout):
    with mq(sem_name, max_messages=1, max_message_size=8) as q:
        assert q.send(b"full")
        if timeout != timeout or timeout < 0:
            with pytest.raises(ValueError):
                q.send(b"x", timeout)
            with pytest.raises(ValueError):
                q.receive(timeout)
        else:
            assert q.send(b"x", timeout) is False
            assert q.receive(timeout) == (b"full", 0)
        assert q.current_messages == (1 if timeout != timeout or timeout < 0 else 0)
