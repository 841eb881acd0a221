"""Arguments are judged by their C values, never by what their Python methods
say: an object that claims to be a Flags member is refused, and an int
subclass whose comparisons, __index__, __int__ and __float__ all lie is
taken at its real value (ValueError, not OverflowError, when that is out of
range; nothing created, sent or registered), with none of its methods run.
Every integer argument of every kind, and every timeout."""

import os
import signal
import stat

import pytest

from nob.ipc import (Flags, NamedMessageQueue, NamedSemaphore, NamedSharedMemory,
                     RobustSemaphore)

pytestmark = pytest.mark.usefixtures("no_leftover_shm_mq")


class Lying(int):
    """An int whose every Python-level method says yes (and counts its calls)."""

    calls = 0

    def _yes(self, *args):
        Lying.calls += 1
        return True

    def _one(self, *args):
        Lying.calls += 1
        return 1

    __lt__ = __le__ = __gt__ = __ge__ = __eq__ = __ne__ = __bool__ = _yes
    __index__ = __int__ = _one

    def __float__(self):
        Lying.calls += 1
        return 1.0

    __hash__ = int.__hash__


@pytest.fixture(autouse=True)
def no_lie_is_heard():
    Lying.calls = 0
    yield
    assert Lying.calls == 0, "an argument's Python method ran"


class FlagsLookAlike:
    """isinstance(x, Flags) is True (through __class__); its value is valid."""

    __class__ = property(lambda self: Flags)
    _value_ = value = Flags.RAISE_IF_EXISTS.value
    name = "RAISE_IF_EXISTS"


OPENERS = {
    "semaphore": lambda n, **kw: NamedSemaphore(n, **kw),
    "robust": lambda n, **kw: RobustSemaphore(n, **kw),
    "shm": lambda n, **kw: NamedSharedMemory(n, 8, **kw),
    "mq": lambda n, **kw: NamedMessageQueue(n, 1, 8, **kw),
}
CLASSES = {"semaphore": NamedSemaphore, "robust": RobustSemaphore, "shm": NamedSharedMemory,
           "mq": NamedMessageQueue}


@pytest.mark.parametrize("kind", OPENERS)
def test_a_flags_look_alike_is_refused(kind, sem_name):
    with pytest.raises(ValueError, match="handle_existence"):
        OPENERS[kind](sem_name, handle_existence=FlagsLookAlike())
    assert not CLASSES[kind].exists(sem_name)


# (kind, argument, out-of-range values) for the constructors.
BAD = [
    ("semaphore", "initial_value", [-1, 2**31, 2**64]),
    ("semaphore", "mode", [-1, 0o1000, 2**64]),
    ("robust", "initial_value", [0, -1, 2**64]),
    ("robust", "mode", [-1, 0o1000, 2**64]),
    ("shm", "size", [-1, -(2**64), 2**63, 2**64]),
    ("shm", "mode", [-1, 0o1000, 2**64]),
    ("mq", "max_messages", [0, -1, 2**31, 2**64]),
    ("mq", "max_message_size", [0, -1, 2**31, 2**64]),
    ("mq", "mode", [-1, 0o1000, 2**64]),
]
CASES = [(k, a, v) for k, a, vs in BAD for v in vs]


def make(kind, name, **kw):
    kw.setdefault("handle_existence", Flags.RAISE_IF_EXISTS)
    if kind in ("semaphore", "robust"):
        return CLASSES[kind](name, **kw)
    if kind == "shm":
        kw.setdefault("size", 8)
        return NamedSharedMemory(name, **kw)
    kw.setdefault("max_messages", 1)
    kw.setdefault("max_message_size", 8)
    return NamedMessageQueue(name, **kw)


@pytest.mark.parametrize("kind,arg,value", CASES, ids=[f"{k}-{a}-{v}" for k, a, v in CASES])
def test_an_out_of_range_lying_int_is_a_value_error(kind, arg, value, sem_name):
    with pytest.raises(ValueError) as info:
        make(kind, sem_name, **{arg: Lying(value)})
    assert not isinstance(info.value, OverflowError)
    assert not CLASSES[kind].exists(sem_name)


def test_in_range_lying_ints_are_taken_at_their_real_value(sem_name, make_name):
    sem = make("semaphore", make_name("s"), initial_value=Lying(3), mode=Lying(0o640))
    assert sem.value == 3
    shm = make("shm", make_name("m"), size=Lying(100), mode=Lying(0o604))
    assert shm.size == 100
    assert stat.S_IMODE(os.fstat(shm.fd).st_mode) == 0o604
    mq = make("mq", make_name("q"), max_messages=Lying(3), max_message_size=Lying(16))
    assert (mq.max_messages, mq.max_message_size) == (3, 16)
    rob = make("robust", make_name("r"), initial_value=Lying(2))
    assert rob.capacity == 2
    for obj in (sem, shm, mq, rob):
        obj.close()


@pytest.fixture
def queue(sem_name):
    q = make("mq", sem_name, max_messages=2, max_message_size=8)
    yield q
    q.close()


@pytest.mark.parametrize("value", [-1, 2**15 * 1000, 2**64, -(2**64)])
def test_a_lying_priority_out_of_range_sends_nothing(queue, value):
    with pytest.raises(ValueError) as info:
        queue.send(b"x", priority=Lying(value))
    assert not isinstance(info.value, OverflowError)
    assert queue.current_messages == 0


def test_a_lying_priority_in_range_is_its_real_value(queue):
    assert queue.send(b"x", priority=Lying(5))
    assert queue.receive(0) == (b"x", 5)


@pytest.mark.parametrize("value", [-9, 0, signal.NSIG, 2**64, -(2**64)])
def test_a_lying_signal_number_out_of_range_registers_nothing(queue, value):
    with pytest.raises(ValueError):
        queue.request_notification(Lying(value))
    # Nothing registered: another request is accepted, not refused as busy.
    assert queue.request_notification((print, None)) is True
    assert queue.request_notification(None) is True


@pytest.mark.parametrize("value", [-1, -(2**2000)])
def test_a_negative_lying_timeout_is_refused_everywhere(value, sem_name, make_name):
    sem = make("semaphore", make_name("s"), initial_value=0)
    rob = make("robust", make_name("r"), initial_value=1)
    assert rob.acquire()
    q = make("mq", make_name("q"))
    calls = [lambda: sem.acquire(timeout=Lying(value)),
             lambda: rob.acquire(timeout=Lying(value)),
             lambda: q.receive(Lying(value)),
             lambda: q.send(b"x", Lying(value))]
    for call in calls:
        with pytest.raises(ValueError, match="timeout"):
            call()
    assert q.current_messages == 0
    rob.release()
    for obj in (sem, rob, q):
        obj.close()


def test_a_lying_release_count_is_its_real_value(sem_name, make_name):
    sem = make("semaphore", make_name("s"), initial_value=0)
    sem.release(Lying(3))
    assert sem.value == 3
    for value in (0, -1, -(2**64)):
        with pytest.raises(ValueError):
            sem.release(Lying(value))
    assert sem.value == 3
    sem.close()
