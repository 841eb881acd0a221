"""A timeout that claims to be a numbers.Real but that float() cannot convert (its __float__
raises TypeError or ValueError) is refused with ArgumentTypeError (a ValueError and a
TypeError) naming the timeout, by every call that takes one; nothing is taken or moved.
Any other exception from __float__ (KeyboardInterrupt) propagates unchanged."""

import asyncio
import numbers

import pytest

from nob.ipc import ArgumentTypeError, Flags, NamedMessageQueue, NamedSemaphore


class BadReal(numbers.Real):
    """A numbers.Real whose __float__ raises `error`."""

    def __init__(self, error):
        self.error = error

    def __float__(self):
        raise self.error

    # the rest of numbers.Real, unused
    __abs__ = __add__ = __ceil__ = __eq__ = __floor__ = __floordiv__ = __le__ = __lt__ = \
        __mod__ = __mul__ = __neg__ = __pos__ = __pow__ = __radd__ = __rfloordiv__ = \
        __rmod__ = __rmul__ = __round__ = __rpow__ = __rtruediv__ = __truediv__ = \
        __trunc__ = lambda *a: NotImplemented
    __hash__ = object.__hash__


@pytest.fixture
def sem(sem_name):
    s = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    yield s
    s.close()


@pytest.fixture
def mq(make_name, no_leftover_shm_mq):
    q = NamedMessageQueue(make_name("q"), 1, 16, handle_existence=Flags.RAISE_IF_EXISTS)
    yield q
    q.close()


def calls(sem, mq):
    return {
        "NamedSemaphore.acquire": lambda t: sem.acquire(timeout=t),
        "NamedSemaphore.acquire_async": lambda t: asyncio.run(sem.acquire_async(timeout=t)),
        "NamedMessageQueue.send": lambda t: mq.send(b"x", timeout=t),
        "NamedMessageQueue.receive": lambda t: mq.receive(timeout=t),
    }


@pytest.mark.parametrize("error", [TypeError("no float here"), ValueError("not a number")],
                         ids=["TypeError", "ValueError"])
def test_a_real_that_float_refuses_is_an_argument_type_error(sem, mq, error):
    for what, call in calls(sem, mq).items():
        with pytest.raises(ArgumentTypeError) as info:
            call(BadReal(error))
        assert isinstance(info.value, TypeError) and isinstance(info.value, ValueError), what
        assert "timeout" in str(info.value) and "BadReal" in str(info.value), what
        assert info.value.__cause__ is error, what
    assert sem.value == 0
    assert mq.current_messages == 0


def test_other_exceptions_from_float_propagate_unchanged(sem, mq):
    for what, call in calls(sem, mq).items():
        stop = KeyboardInterrupt("from __float__")
        with pytest.raises(KeyboardInterrupt) as info:
            call(BadReal(stop))
        assert info.value is stop, what
    assert sem.value == 0
    assert mq.current_messages == 0
