"""The with-statement's fast __enter__/__exit__ behave as bound methods do:
a lookup holds the semaphore only while the looked-up object lives, so
hasattr/inspect never keep a semaphore open, `del sem` closes and unlinks at
once (no cycle, no GC needed), and odd receivers are refused cleanly."""

import gc
import inspect
import threading

import pytest

from nob.ipc import Flags, NamedSemaphore


@pytest.mark.parametrize("lookup", [
    lambda s: hasattr(s, "__enter__"),
    lambda s: hasattr(s, "__exit__"),
    lambda s: getattr(s, "__enter__"),
    lambda s: inspect.getmembers(s),
    lambda s: dir(s),
    lambda s: type(s).__dict__["__enter__"].__get__(s, type(s)),
])
def test_a_lookup_does_not_keep_the_semaphore_open(lookup, sem_name):
    gc.disable()  # deletion must not depend on the cyclic GC
    try:
        sem = NamedSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
        lookup(sem)
        del sem
        assert not NamedSemaphore.exists(sem_name), "a lookup kept the semaphore alive"
    finally:
        gc.enable()


def test_with_leaves_no_cycle(sem_name):
    gc.disable()
    try:
        sem = NamedSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
        for _ in range(3):
            with sem:
                pass
        enter = sem.__enter__
        del enter
        del sem
        assert not NamedSemaphore.exists(sem_name)
    finally:
        gc.enable()


def test_deleting_inside_with_waits_for_exit(sem_name):
    sem = NamedSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    with sem:
        del sem
        gc.collect()
        assert NamedSemaphore.exists(sem_name)  # the with statement still holds it
        assert NamedSemaphore(sem_name).value == 0
    assert not NamedSemaphore.exists(sem_name)


def test_odd_receivers_are_refused_not_crashed():
    for slot in ("__enter__", "__exit__"):
        descriptor = NamedSemaphore.__dict__[slot]
        for odd in (object(), 1, "x", None.__class__):
            with pytest.raises(TypeError):
                descriptor.__get__(odd, type(odd))
    with pytest.raises(TypeError):
        NamedSemaphore.__enter__(object())


def test_bound_objects_check_their_arguments(sem_name):
    sem = NamedSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    with pytest.raises(TypeError):
        sem.__enter__(1)
    with pytest.raises(TypeError):
        sem.__exit__(None)
    with pytest.raises(TypeError):
        sem.__exit__(None, None, None, x=1)
    assert sem.value == 1
    assert "__enter__" in repr(sem.__enter__) and sem.__exit__.__self__ is sem
    sem.close()


def test_threads_looking_up_and_using_with(sem_name):
    sem = NamedSemaphore(sem_name, 2, Flags.RAISE_IF_EXISTS)
    errors = []

    def worker():
        try:
            for _ in range(3000):
                with sem:
                    hasattr(sem, "__exit__")
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sem.value == 2
    del sem
    assert not NamedSemaphore.exists(sem_name)
