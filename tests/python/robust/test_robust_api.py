"""RobustSemaphore's surface: constructor and policies, properties, holders(), with, repr, weakref, pickling."""

import copy
import os
import pickle
import time
import weakref

import pytest

import nob.ipc
from nob.ipc import ArgumentTypeError, Flags, Holder, NamedSemaphore, RobustSemaphore


@pytest.fixture
def sem(sem_name):
    s = RobustSemaphore(sem_name, 2, Flags.RAISE_IF_EXISTS)
    yield s
    s.close()


def test_exported_with_the_same_flags_and_errors_as_named_semaphore():
    from nob.ipc import _robust, _semaphore

    assert {"RobustSemaphore", "Holder"} <= set(nob.ipc.__all__)
    assert RobustSemaphore.Flags is Flags is NamedSemaphore.Flags
    assert _robust.ArgumentTypeError is _semaphore.ArgumentTypeError is ArgumentTypeError


def test_a_new_semaphore_reports_its_state(sem, sem_name):
    assert sem.name == "/" + sem_name
    assert sem.linked_existing_semaphore is False
    assert (sem.capacity, sem.value, sem.held, sem.holders()) == (2, 2, 0, [])
    assert sem.persistent is False
    assert sem.closed is False
    assert RobustSemaphore.exists(sem_name)


def test_linking_opens_the_same_pool_and_ignores_initial_value(sem, sem_name):
    other = RobustSemaphore("//" + sem_name, 7)
    assert other.linked_existing_semaphore is True
    assert other.capacity == 2
    assert sem.acquire(False)
    assert other.value == 1
    other.close()
    sem.release()


def test_policies_raise_the_oserror_subclass_with_errno_and_filename(sem, sem_name, make_name):
    with pytest.raises(FileExistsError) as exists:
        RobustSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    assert exists.value.errno == 17 and exists.value.filename == "/" + sem_name
    missing = make_name("missing")
    with pytest.raises(FileNotFoundError) as absent:
        RobustSemaphore(missing)
    assert absent.value.errno == 2 and absent.value.filename == "/" + missing
    linked = RobustSemaphore(sem_name, 5, Flags.LINK_OR_CREATE)
    assert linked.linked_existing_semaphore and linked.capacity == 2
    created = RobustSemaphore(missing, 5, Flags.LINK_OR_CREATE)
    assert not created.linked_existing_semaphore and created.capacity == 5
    linked.close()
    created.close()
    assert not RobustSemaphore.exists(missing)


def test_unlink_and_create_makes_a_fresh_pool(sem, sem_name):
    assert sem.acquire()
    fresh = RobustSemaphore(sem_name, 3, Flags.UNLINK_AND_CREATE)
    assert not fresh.linked_existing_semaphore
    assert (fresh.capacity, fresh.value, fresh.holders()) == (3, 3, [])
    assert sem.held == 1  # the old pool lives on for the old handle
    sem.release()
    fresh.close()


def test_units_taken_are_held_by_this_process(sem):
    assert sem.acquire() is True
    assert (sem.value, sem.held) == (1, 1)
    assert sem.acquire(timeout=1) is True
    assert sem.holders() == [Holder(os.getpid(), 2)]
    (h,) = sem.holders()
    assert (h.pid, h.units) == (os.getpid(), 2)
    assert sem.acquire(False) is False
    assert sem.acquire(timeout=0) is False
    sem.release(2)
    assert (sem.value, sem.held, sem.holders()) == (2, 0, [])


def test_a_timed_acquire_waits_its_whole_timeout(sem):
    assert sem.acquire() and sem.acquire()
    start = time.monotonic()
    assert sem.acquire(timeout=0.2) is False
    assert time.monotonic() - start >= 0.2
    sem.release(2)


def test_holder_is_an_immutable_picklable_named_tuple():
    h = Holder(pid=12, units=3)
    assert h == (12, 3) and h.pid == 12 and h.units == 3
    with pytest.raises(AttributeError):
        h.pid = 1
    assert pickle.loads(pickle.dumps(h)) == h
    assert "Holder(pid=12, units=3)" == repr(h)


def test_with_returns_the_semaphore_and_releases_on_error(sem):
    with sem as entered:
        assert entered is sem and sem.held == 1
    assert sem.held == 0
    with pytest.raises(KeyError):
        with sem:
            raise KeyError("body")
    assert (sem.held, sem.value) == (0, 2)


def test_persistent_keeps_the_name_after_the_last_close(sem_name):
    sem = RobustSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS, persistent=True)
    assert sem.persistent is True
    sem.close()
    assert RobustSemaphore.exists(sem_name)
    again = RobustSemaphore(sem_name)
    assert again.persistent is True
    again.persistent = False
    again.close()
    assert not RobustSemaphore.exists(sem_name)


def test_persistent_setter_takes_only_a_bool(sem):
    for bad in (1, 0, None, "yes"):
        with pytest.raises(ArgumentTypeError):
            sem.persistent = bad
    assert sem.persistent is False


def test_remove_and_exists(sem_name):
    assert RobustSemaphore.remove(sem_name) is False
    assert RobustSemaphore.exists(sem_name) is False
    sem = RobustSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    assert RobustSemaphore.remove("/" + sem_name) is True
    assert RobustSemaphore.exists(sem_name) is False
    assert sem.acquire(False)  # the handle still works
    sem.release()
    sem.close()


def test_unlink_removes_the_name_now(sem, sem_name):
    sem.unlink()
    assert not RobustSemaphore.exists(sem_name)
    assert sem.acquire(False)
    sem.release()


def test_repr_names_the_subclass(sem_name):
    class Pool(RobustSemaphore):
        pass

    p = Pool(sem_name, 2, Flags.RAISE_IF_EXISTS)
    assert repr(p) == f"<Pool '/{sem_name}' value=2 capacity=2 held=0>"
    p.close()
    assert repr(p) == f"<Pool '/{sem_name}' closed>"


def test_weak_references_work(sem):
    ref = weakref.ref(sem)
    assert ref() is sem


def test_pickling_and_copying_are_refused_clearly(sem):
    for action in (pickle.dumps, copy.copy, copy.deepcopy):
        with pytest.raises(TypeError, match="cannot be pickled"):
            action(sem)


def test_init_runs_only_once(sem, sem_name):
    with pytest.raises(RuntimeError):
        sem.__init__(sem_name, 1, Flags.LINK_OR_CREATE)
    assert sem.capacity == 2


def test_wait_word_address_is_nonzero_until_closed(sem_name):
    sem = RobustSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    assert sem._wait_word_address() > 0
    sem.close()
    assert sem._wait_word_address() == 0
