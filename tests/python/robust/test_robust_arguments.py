"""RobustSemaphore bad arguments: ValueError (wrong types: ArgumentTypeError, also a TypeError)
before any system call; nothing created, taken or given back."""

import math

import pytest

from nob.ipc import ArgumentTypeError, Flags, RobustSemaphore

BAD_CONSTRUCTOR = [
    ({"initial_value": "1"}, ArgumentTypeError),
    ({"initial_value": 1.0}, ArgumentTypeError),
    ({"initial_value": None}, ArgumentTypeError),
    ({"initial_value": True}, ArgumentTypeError),
    ({"initial_value": 0}, ValueError),
    ({"initial_value": -1}, ValueError),
    ({"initial_value": 65537}, ValueError),
    ({"initial_value": 2**100}, ValueError),
    ({"handle_existence": "RAISE_IF_EXISTS"}, ArgumentTypeError),
    ({"handle_existence": 0}, ArgumentTypeError),
    ({"handle_existence": None}, ArgumentTypeError),
    ({"persistent": 1}, ArgumentTypeError),
    ({"persistent": None}, ArgumentTypeError),
    ({"mode": "0o600"}, ArgumentTypeError),
    ({"mode": 0o600 * 1.0}, ArgumentTypeError),
    ({"mode": 0o1000}, ValueError),
    ({"mode": -1}, ValueError),
]


@pytest.mark.parametrize("kwargs, error", BAD_CONSTRUCTOR, ids=[repr(k) for k, _ in BAD_CONSTRUCTOR])
def test_constructor_refuses_bad_arguments_and_creates_nothing(sem_name, kwargs, error):
    kwargs.setdefault("handle_existence", Flags.RAISE_IF_EXISTS)
    with pytest.raises(error):
        RobustSemaphore(sem_name, **kwargs)
    assert not RobustSemaphore.exists(sem_name)


@pytest.mark.parametrize("name", ["", "/", "a/b", "a b", "a@b", "é", "..", "x" * 252, b"x", None, 1])
def test_bad_names_raise_value_error_everywhere(name):
    # None is a bad name to look up or remove; to the constructor it asks for
    # a fresh name (tests/python/common/test_fresh_*.py).
    calls = (RobustSemaphore.exists, RobustSemaphore.remove)
    for call in calls if name is None else (RobustSemaphore,) + calls:
        with pytest.raises(ValueError):
            call(name)


def test_the_largest_capacity_works(sem_name):
    sem = RobustSemaphore(sem_name, 65536, Flags.RAISE_IF_EXISTS)
    assert sem.capacity == sem.value == 65536
    sem.close()


@pytest.fixture
def sem(sem_name):
    s = RobustSemaphore(sem_name, 2, Flags.RAISE_IF_EXISTS)
    yield s
    s.close()


BAD_ACQUIRE = [
    {"blocking": 1}, {"blocking": 0}, {"blocking": None}, {"blocking": "yes"},
    {"timeout": "1"}, {"timeout": math.nan}, {"timeout": -1}, {"timeout": -0.001},
    {"timeout": -math.inf}, {"timeout": True}, {"timeout": 1j}, {"timeout": [1]},
    {"blocking": False, "timeout": 1}, {"blocking": False, "timeout": 0},
]


@pytest.mark.parametrize("kwargs", BAD_ACQUIRE, ids=repr)
def test_acquire_refuses_bad_arguments_without_taking_a_unit(sem, kwargs):
    with pytest.raises(ValueError):
        sem.acquire(**kwargs)
    assert (sem.value, sem.held) == (2, 0)


@pytest.mark.parametrize("n, error", [(0, ValueError), (-1, ValueError), (1.5, ArgumentTypeError),
                                      ("1", ArgumentTypeError), (True, ArgumentTypeError),
                                      (None, ArgumentTypeError), (2**100, ValueError)], ids=repr)
def test_release_refuses_bad_counts_and_gives_back_nothing(sem, n, error):
    assert sem.acquire()
    with pytest.raises(error):
        sem.release(n)
    assert (sem.value, sem.held) == (1, 1)
    sem.release()


def test_huge_and_infinite_timeouts_mean_wait_and_succeed_at_once(sem):
    for timeout in (math.inf, 2**100, 1e300):
        assert sem.acquire(timeout=timeout)
        sem.release()
