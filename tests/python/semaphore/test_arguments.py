"""Bad arguments: ValueError (wrong types: also TypeError) before any system call, nothing changed."""

import math

import pytest

from nob.ipc import SEMAPHORE_VALUE_MAX, ArgumentTypeError, Flags, NamedSemaphore

from conftest import sem_exists


@pytest.mark.parametrize(
    "kwargs",
    [
        {"initial_value": "1"},
        {"initial_value": 1.0},
        {"initial_value": None},
        {"initial_value": True},
        {"initial_value": -1},
        {"initial_value": SEMAPHORE_VALUE_MAX + 1},
        {"initial_value": 2**100},
        {"handle_existence": "RAISE_IF_EXISTS"},
        {"handle_existence": 0},
        {"handle_existence": None},
        {"unlink_on_delete": 1},
        {"unlink_on_delete": "yes"},
        {"mode": "0o600"},
        {"mode": 0o1000},
        {"mode": -1},
        {"mode": 0o600 * 1.0},
    ],
    ids=repr,
)
def test_constructor_refuses_bad_arguments(sem_name, kwargs):
    kwargs.setdefault("handle_existence", Flags.RAISE_IF_EXISTS)
    with pytest.raises(ValueError):
        NamedSemaphore(sem_name, **kwargs)
    assert not sem_exists(sem_name)


def test_wrong_types_raise_an_error_that_is_also_a_type_error(sem_name):
    with pytest.raises(ArgumentTypeError) as info:
        NamedSemaphore(sem_name, "1", Flags.RAISE_IF_EXISTS)
    assert isinstance(info.value, ValueError) and isinstance(info.value, TypeError)
    assert not sem_exists(sem_name)


@pytest.fixture
def sem(sem_name):
    s = NamedSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    yield s
    s.close()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"blocking": 100},
        {"blocking": 1},
        {"blocking": 0},
        {"blocking": None},
        {"blocking": "yes"},
        {"timeout": "1"},
        {"timeout": math.nan},
        {"timeout": -1},
        {"timeout": -0.001},
        {"timeout": -math.inf},
        {"timeout": True},
        {"timeout": 1j},
        {"timeout": [1]},
        {"blocking": False, "timeout": 1},
        {"blocking": False, "timeout": 0},
        {"blocking": False, "timeout": math.inf},
    ],
    ids=repr,
)
def test_acquire_refuses_bad_arguments_without_taking_a_unit(sem, kwargs):
    with pytest.raises(ValueError):
        sem.acquire(**kwargs)
    assert sem.value == 1


def test_acquire_refuses_bad_positional_arguments(sem):
    with pytest.raises(ValueError):
        sem.acquire(100)
    with pytest.raises(ValueError):
        sem.acquire(False, 1.0)
    with pytest.raises(TypeError):
        sem.acquire(True, None, 3)
    assert sem.value == 1


@pytest.mark.parametrize("n", [1.5, 1.0, "1", None, True, 0, -1, -(2**70)], ids=repr)
def test_release_refuses_bad_n_and_posts_nothing(sem, n):
    with pytest.raises(ValueError):
        sem.release(n)
    assert sem.value == 1


def test_release_keyword_and_large_n(sem):
    sem.release(n=2)
    assert sem.value == 3
    sem.release(1000)
    assert sem.value == 1003


@pytest.mark.parametrize("value", [1, 0, None, "yes"])
def test_unlink_on_delete_setter_takes_only_bool(sem, value):
    with pytest.raises(ValueError):
        sem.unlink_on_delete = value
    assert sem.unlink_on_delete is True


def test_accepted_numeric_timeouts(sem):
    from fractions import Fraction

    for t in (1, 1.5, Fraction(1, 2), 0, 0.0, math.inf, 2**200):
        assert sem.acquire(timeout=t) is True
        sem.release()
