"""`with sem:` acquires and releases, keeps a temporary semaphore alive, and
its cached __enter__/__exit__ never outlive the semaphore unsafely."""

import gc
import threading

import pytest

from nob.ipc import Flags, NamedSemaphore


def test_with_takes_a_unit_and_gives_it_back(sem_name):
    sem = NamedSemaphore(sem_name, 2, Flags.RAISE_IF_EXISTS)
    with sem as inside:
        assert inside is sem
        assert sem.value == 1
    assert sem.value == 2
    sem.close()


def test_with_releases_when_the_block_raises(sem_name):
    sem = NamedSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    with pytest.raises(KeyError):
        with sem:
            raise KeyError("inside")
    assert sem.value == 1
    sem.close()


def test_nested_with_on_one_counting_semaphore(sem_name):
    sem = NamedSemaphore(sem_name, 2, Flags.RAISE_IF_EXISTS)
    with sem:
        with sem:
            assert sem.value == 0
        assert sem.value == 1
    assert sem.value == 2
    sem.close()


def test_a_temporary_semaphore_lives_until_the_block_ends(sem_name):
    with NamedSemaphore(sem_name, 1, Flags.LINK_OR_CREATE):
        gc.collect()
        assert NamedSemaphore.exists(sem_name)  # not closed (and unlinked) early
    gc.collect()
    assert not NamedSemaphore.exists(sem_name)  # closed and unlinked after it


def test_deleting_a_semaphore_still_closes_and_unlinks_at_once(sem_name):
    sem = NamedSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    with sem:
        pass
    del sem  # no reference cycle left behind by `with`
    assert not NamedSemaphore.exists(sem_name)


def test_a_kept_exit_method_keeps_the_semaphore_alive_as_a_bound_method_does(sem_name):
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    exit_method = sem.__exit__
    assert exit_method.__self__ is sem
    del sem
    assert NamedSemaphore.exists(sem_name)  # still referenced by the method
    exit_method(None, None, None)  # releases on the live semaphore
    assert NamedSemaphore(sem_name).value == 1
    del exit_method  # the last reference: closed and unlinked at once
    assert not NamedSemaphore.exists(sem_name)


def test_class_level_calls_and_subclasses_work(sem_name):
    class Counted(NamedSemaphore):
        entered = 0

        def __enter__(self):
            type(self).entered += 1
            return super().__enter__()

    sem = Counted(sem_name, 1, Flags.RAISE_IF_EXISTS)
    assert NamedSemaphore.__enter__(sem) is sem
    assert sem.value == 0
    NamedSemaphore.__exit__(sem, None, None, None)
    with sem as inside:
        assert type(inside) is Counted
    assert Counted.entered == 1
    assert sem.value == 1
    sem.close()


def test_with_on_a_closed_semaphore_raises_value_error(sem_name):
    sem = NamedSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    sem.close()
    with pytest.raises(ValueError):
        with sem:
            pass


def test_threads_using_with_keep_mutual_exclusion(sem_name):
    sem = NamedSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    inside = 0
    worst = 0

    def worker():
        nonlocal inside, worst
        for _ in range(2000):
            with sem:
                inside += 1
                worst = max(worst, inside)
                inside -= 1

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert worst == 1
    assert sem.value == 1
    sem.close()
