"""Argument conversion that runs Python code (a __float__ that closes the object)
never leads to a use after close: the call raises ValueError or completes on a
still-open object; no crash. An int or tuple subclass is read as its C value:
its comparisons, __index__, __len__ and __getitem__ never run. Also a
signal handler that closes the queue during a blocking receive."""

import numbers
import signal

import pytest

from nob.ipc import Flags, NamedMessageQueue, NamedSharedMemory

pytestmark = pytest.mark.usefixtures("no_leftover_shm_mq")


class ClosingReal(numbers.Real):
    """A real number whose __float__ closes `target` first."""

    def __init__(self, target, value):
        self.target, self.value = target, value

    def __float__(self):
        self.target.close()
        return float(self.value)

    # the rest of numbers.Real, unused
    __abs__ = __add__ = __ceil__ = __eq__ = __floor__ = __floordiv__ = __le__ = __lt__ = \
        __mod__ = __mul__ = __neg__ = __pos__ = __pow__ = __radd__ = __rfloordiv__ = \
        __rmod__ = __rmul__ = __round__ = __rpow__ = __rtruediv__ = __truediv__ = \
        __trunc__ = lambda *a: NotImplemented
    __hash__ = object.__hash__


class ClosingInt(int):
    """An int whose comparisons and __index__ close `target` first."""

    target = None

    def _close(self):
        if self.target is not None:
            self.target.close()

    def __index__(self):
        self._close()
        return int(self)

    def __lt__(self, other):
        self._close()
        return int(self) < other

    def __gt__(self, other):
        self._close()
        return int(self) > other

    def __le__(self, other):
        self._close()
        return int(self) <= other

    def __ge__(self, other):
        self._close()
        return int(self) >= other


class ClosingTuple(tuple):
    """A (function, param) pair whose __len__ and __getitem__ close `target` first."""

    target = None

    def __len__(self):
        self.target.close()
        return tuple.__len__(self)

    def __getitem__(self, i):
        self.target.close()
        return tuple.__getitem__(self, i)


class ClosingBytes(bytes):
    def __bytes__(self):
        self.target.close()
        return b"other"


@pytest.fixture
def queue(sem_name):
    q = NamedMessageQueue(sem_name, 2, 16, handle_existence=Flags.RAISE_IF_EXISTS)
    yield q
    q.close()


def closing_int(q, value):
    i = ClosingInt(value)
    i.target = q
    return i


CALLS = {
    "send(timeout=__float__)": lambda q: q.send(b"x", ClosingReal(q, 1)),
    "send(timeout=0 via __float__)": lambda q: q.send(b"x", ClosingReal(q, 0)),
    "receive(timeout=__float__)": lambda q: q.receive(ClosingReal(q, 0.01)),
    "receive(timeout=0 via __float__)": lambda q: q.receive(ClosingReal(q, 0)),
}


@pytest.mark.parametrize("call", CALLS.values(), ids=list(CALLS))
def test_conversion_that_closes_the_queue(queue, sem_name, call):
    with pytest.raises(ValueError, match="closed"):
        call(queue)
    assert queue.closed
    assert not NamedMessageQueue.exists(sem_name)


def test_int_and_tuple_subclasses_are_read_without_their_methods(queue):
    """A priority, a signal number and a (function, param) pair are read as
    C values: the closing methods never run and each call completes."""
    assert queue.send(b"x", priority=closing_int(queue, 3))
    assert queue.receive(0) == (b"x", 3)
    assert queue.request_notification(closing_int(queue, signal.SIGUSR1)) is True
    assert queue.request_notification(None) is True
    pair = ClosingTuple((print, 1))
    pair.target = queue
    assert queue.request_notification(pair) is True
    assert not queue.closed


def test_bytes_subclass_is_sent_as_its_bytes_without_calling_bytes(queue):
    msg = ClosingBytes(b"mine")
    msg.target = queue
    assert queue.send(msg)
    assert queue.receive(0) == (b"mine", 0)
    assert not queue.closed


def test_shm_setter_and_closed_checks_after_conversion(sem_name):
    s = NamedSharedMemory(sem_name, 8, handle_existence=Flags.RAISE_IF_EXISTS)
    s.close()
    for call in (lambda: s.mmap(), lambda: s.fd, lambda: s.size,
                 lambda: setattr(s, "unlink_on_delete", False)):
        with pytest.raises(ValueError, match="closed"):
            call()


def test_a_handler_that_closes_the_queue_ends_a_blocking_receive(queue, sem_name):
    old = signal.signal(signal.SIGALRM, lambda *a: queue.close())
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        with pytest.raises(ValueError, match="closed while waiting"):
            queue.receive()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert queue.closed
    assert not NamedMessageQueue.exists(sem_name)  # the deferred close ran
