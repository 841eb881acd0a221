"""Python code that runs inside argument conversion (a __float__, __index__, __lt__, __bool__,
__class__ or str method) and closes the semaphore, or re-enters __init__: never a crash, the
handle is read after every argument is converted; the outcome is success or ValueError."""

import numbers

import pytest

from nob.ipc import ArgumentTypeError, Flags, RobustSemaphore


class Closer:
    """Hooks that close `target` whenever Python code of an argument runs."""

    def __init__(self):
        self.target = None
        self.ran = 0

    def hit(self):
        self.ran += 1
        if self.target is not None:
            self.target.close()


def evil_values(c):
    """name -> an argument whose conversion hooks call c.hit()."""

    class RealThatCloses:
        def __float__(self):
            c.hit()
            return 0.05

    numbers.Real.register(RealThatCloses)

    class IntThatCloses(int):
        def __index__(self):
            c.hit()
            return 1

        def __int__(self):
            c.hit()
            return 1

        def __lt__(self, other):
            c.hit()
            return False

        __le__ = __gt__ = __ge__ = __eq__ = __lt__
        __hash__ = int.__hash__

    class IndexThatCloses:
        def __index__(self):
            c.hit()
            return 1

    class BoolThatCloses:
        def __bool__(self):
            c.hit()
            return True

    class PretendsToBeInt:
        @property
        def __class__(self):
            c.hit()
            return int

    class StrThatCloses(str):
        def isascii(self):
            c.hit()
            return True

        def encode(self, *args):
            c.hit()
            return str.encode(self, *args)

    return {
        "real": RealThatCloses(),
        "int-subclass": IntThatCloses(1),
        "index": IndexThatCloses(),
        "bool": BoolThatCloses(),
        "pretends-int": PretendsToBeInt(),
        "str-subclass": None,  # filled per test with the name
        "make_str": StrThatCloses,
    }


CALLS = {
    "acquire(timeout=)": lambda s, v: s.acquire(timeout=v),
    "acquire(blocking=)": lambda s, v: s.acquire(blocking=v),
    "acquire(blocking=, timeout=)": lambda s, v: s.acquire(v, v),
    "release(n=)": lambda s, v: s.release(v),
    "persistent=": lambda s, v: setattr(s, "persistent", v),
}


@pytest.mark.parametrize("call", CALLS.values(), ids=list(CALLS))
@pytest.mark.parametrize("kind", ["real", "int-subclass", "index", "bool", "pretends-int"])
def test_closing_during_conversion_never_crashes(sem_name, call, kind):
    c = Closer()
    value = evil_values(c)[kind]
    sem = RobustSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    keeper = RobustSemaphore(sem_name)  # keeps the name while `sem` closes
    assert sem.acquire()
    c.target = sem
    try:
        call(sem, value)
        outcome = "ok"
    except ValueError as e:
        outcome = e
    if c.ran:
        assert sem.closed
        assert outcome == "ok" or "closed" in str(outcome) or isinstance(outcome, ArgumentTypeError)
    if outcome == "ok":
        assert not sem.closed  # a call that succeeded ran on an open handle
    if sem.closed:
        with pytest.raises(ValueError, match="closed"):
            sem.acquire(False)
    sem.close()
    # the process ends holding nothing it cannot account for: one unit, held or given back
    assert keeper.value + keeper.held == 1
    if keeper.held:
        keeper.release()
    keeper.close()


def test_int_subclass_methods_are_never_called(sem_name):
    c = Closer()
    v = evil_values(c)["int-subclass"]
    sem = RobustSemaphore(sem_name, v, Flags.RAISE_IF_EXISTS, mode=v + 0o600)
    c.target = sem
    assert sem.acquire()
    sem.release(v)
    assert c.ran == 0 and not sem.closed
    sem.close()


def test_a_name_whose_methods_close_another_semaphore(sem_name, make_name):
    c = Closer()
    other = RobustSemaphore(make_name("other"), 1, Flags.RAISE_IF_EXISTS)
    c.target = other
    evil = evil_values(c)["make_str"](sem_name)
    created = RobustSemaphore(evil, 1, Flags.RAISE_IF_EXISTS)
    assert created.name == "/" + sem_name
    assert RobustSemaphore.exists(evil) is True
    created.close()
    assert RobustSemaphore.remove(evil) is False
    assert other.closed == (c.ran > 0)  # whether str methods ran is Cython's business
    if other.closed:
        with pytest.raises(ValueError, match="closed"):
            other.acquire()
    other.close()


def test_reentering_init_from_a_name_method_is_refused_without_a_leak(sem_name, make_name):
    sem = RobustSemaphore.__new__(RobustSemaphore)
    inner = make_name("inner")

    class Reenters(str):
        def isascii(self):
            sem.__init__(inner, 1, Flags.RAISE_IF_EXISTS)
            return True

    with pytest.raises(RuntimeError, match="only once"):
        sem.__init__(Reenters(sem_name), 1, Flags.RAISE_IF_EXISTS)
    assert sem.closed
    assert not RobustSemaphore.exists(sem_name)
    assert not RobustSemaphore.exists(inner)


def test_signal_handler_that_closes_the_semaphore_ends_the_wait(sem_name):
    import signal

    sem = RobustSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    assert sem.acquire()
    old = signal.signal(signal.SIGALRM, lambda *a: sem.close())
    signal.setitimer(signal.ITIMER_REAL, 0.1)
    try:
        with pytest.raises(ValueError, match="closed while waiting"):
            sem.acquire(timeout=30)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert sem.closed
    assert not RobustSemaphore.exists(sem_name)
