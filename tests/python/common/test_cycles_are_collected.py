"""An object of any kind caught in a reference cycle (a subclass instance
that keeps itself, its own __enter__/__exit__ or a bound method) is freed by
the cyclic GC: it is closed and its name is unlinked, as by `del`. The fast
with-objects of the semaphores take part in the GC like bound methods."""

import gc

import pytest

from nob.ipc import (Flags, NamedMessageQueue, NamedSemaphore, NamedSharedMemory,
                     RobustSemaphore)

KINDS = {
    "semaphore": (NamedSemaphore, {"initial_value": 1}),
    "robust": (RobustSemaphore, {"initial_value": 1}),
    "shm": (NamedSharedMemory, {"size": 64}),
    "mq": (NamedMessageQueue, {"max_messages": 1, "max_message_size": 8}),
}

# Ways an instance ends up referring to itself.
CYCLES = {
    "self": lambda o: setattr(o, "me", o),
    "__enter__": lambda o: setattr(o, "enter", o.__enter__),
    "__exit__": lambda o: setattr(o, "exit", o.__exit__),
    "both in a list": lambda o: setattr(o, "calls", [o.__enter__, o.__exit__]),
    "bound method": lambda o: setattr(o, "close_later", o.close),
}


@pytest.mark.parametrize("cycle", CYCLES.values(), ids=list(CYCLES))
@pytest.mark.parametrize("kind", KINDS, ids=list(KINDS))
def test_an_object_in_a_cycle_is_collected_and_unlinks(kind, cycle, sem_name, no_leftover_shm_mq):
    cls, kwargs = KINDS[kind]

    class Mine(cls):
        pass

    obj = Mine(sem_name, handle_existence=Flags.RAISE_IF_EXISTS, **kwargs)
    cycle(obj)
    del obj
    assert cls.exists(sem_name), "freed without the GC: no cycle was made"
    gc.collect()
    assert not cls.exists(sem_name), "the cycle was never collected"


@pytest.mark.parametrize("cls", [NamedSemaphore, RobustSemaphore], ids=lambda c: c.__name__)
def test_with_objects_show_the_gc_what_they_hold(cls, sem_name):
    sem = cls(sem_name, 1, Flags.RAISE_IF_EXISTS)
    for name in ("__enter__", "__exit__"):
        bound = getattr(sem, name)
        assert gc.is_tracked(bound)
        assert sem in gc.get_referents(bound)
        descriptor = cls.__dict__[name]
        if gc.is_tracked(descriptor):  # a plain function, or the fast with-slot
            assert gc.get_referents(descriptor)
    sem.close()


def test_the_with_slot_shows_the_gc_its_function():
    for name in ("__enter__", "__exit__"):
        slot = NamedSemaphore.__dict__[name]
        assert gc.is_tracked(slot)
        unbound = slot.__get__(None, NamedSemaphore)
        assert unbound in gc.get_referents(slot)


def test_with_still_works_after_many_collections(sem_name):
    sem = NamedSemaphore(sem_name, 2, Flags.RAISE_IF_EXISTS)
    for i in range(2000):
        with sem:
            if i % 100 == 0:
                gc.collect()
        assert sem.value == 2
    enter = sem.__enter__
    gc.collect()
    assert enter.__self__ is sem
    sem.close()
