"""close(): idempotent; afterwards every call raises ValueError; the context manager returns the semaphore."""

import pytest

from nob.ipc import Flags, NamedSemaphore

from conftest import sem_exists


@pytest.fixture
def closed_sem(sem_name):
    s = NamedSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    s.close()
    return s


CALLS = {
    "acquire()": lambda s: s.acquire(),
    "acquire(False)": lambda s: s.acquire(False),
    "acquire(blocking=False)": lambda s: s.acquire(blocking=False),
    "acquire(timeout=0)": lambda s: s.acquire(timeout=0),
    "acquire(timeout=1.5)": lambda s: s.acquire(timeout=1.5),
    "acquire(True, 1)": lambda s: s.acquire(True, 1),
    "release()": lambda s: s.release(),
    "release(3)": lambda s: s.release(3),
    "value": lambda s: s.value,
    "unlink()": lambda s: s.unlink(),
    "__enter__()": lambda s: s.__enter__(),
    "__exit__()": lambda s: s.__exit__(None, None, None),
    "unlink_on_delete=": lambda s: setattr(s, "unlink_on_delete", True),
}


@pytest.mark.parametrize("call", CALLS.values(), ids=list(CALLS))
def test_every_call_on_a_closed_semaphore_raises_value_error(closed_sem, call):
    with pytest.raises(ValueError, match="closed"):
        call(closed_sem)


def test_with_on_a_closed_semaphore_raises_value_error(closed_sem):
    with pytest.raises(ValueError):
        with closed_sem:
            pytest.fail("the body must not run")


def test_close_is_idempotent_and_unlinks_once(sem_name):
    sem = NamedSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    assert sem.closed is False
    sem.close()
    assert sem.closed is True
    assert not sem_exists(sem_name)
    again = NamedSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)  # someone re-creates the name
    sem.close()
    sem.close()
    assert sem_exists(sem_name)  # a second close() unlinks nothing
    again.close()


def test_attributes_stay_readable_after_close(sem_name):
    sem = NamedSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    sem.close()
    assert sem.name == "/" + sem_name
    assert sem.linked_existing_semaphore is False
    assert sem.unlink_on_delete is True
    assert "closed" in repr(sem)


def test_context_manager_returns_the_semaphore_and_releases(sem_name):
    sem = NamedSemaphore(sem_name, 2, Flags.RAISE_IF_EXISTS)
    with sem as entered:
        assert entered is sem
        assert sem.value == 1
        with sem as inner:
            assert inner is sem
            assert sem.value == 0
    assert sem.value == 2
    with pytest.raises(KeyError):
        with sem:
            raise KeyError("body failed")
    assert sem.value == 2  # released on the way out of an exception too
    sem.close()


def test_closing_inside_with_makes_exit_raise(sem_name):
    sem = NamedSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    with pytest.raises(ValueError):
        with sem:
            sem.close()
    assert sem.closed
