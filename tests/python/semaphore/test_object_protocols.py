"""Everyday object protocols: weak references, a subclass's repr, the class
signature, linked_existing_object, and stubs older mypy releases can read."""

import gc
import inspect
import pathlib
import weakref

import nob.ipc
from nob.ipc import Flags, NamedSemaphore


def test_weak_references_work_and_die_with_the_semaphore(sem_name):
    sem = NamedSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    ref = weakref.ref(sem)
    assert ref() is sem
    del sem
    gc.collect()
    assert ref() is None
    assert not NamedSemaphore.exists(sem_name)


def test_a_subclass_repr_shows_its_own_name(sem_name):
    class Slots(NamedSemaphore):
        pass

    sem = Slots(sem_name, 2, Flags.RAISE_IF_EXISTS)
    assert repr(sem).startswith("<Slots ") and "value=2" in repr(sem)
    sem.close()
    assert repr(sem).startswith("<Slots ") and "closed" in repr(sem)


def test_inspect_signature_of_the_class():
    sig = inspect.signature(NamedSemaphore)
    assert list(sig.parameters) == ["name", "initial_value", "handle_existence",
                                    "unlink_on_delete", "mode", "same_uid_only"]
    assert sig.parameters["handle_existence"].default is Flags.RAISE_IF_NOT_EXISTS
    assert sig.parameters["mode"].kind is inspect.Parameter.KEYWORD_ONLY

    class WithOwnInit(NamedSemaphore):
        def __init__(self, name, extra=0):
            super().__init__(name)

    assert list(inspect.signature(WithOwnInit).parameters) == ["name", "extra"]


def test_linked_existing_object_matches_linked_existing_semaphore(sem_name):
    made = NamedSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    joined = NamedSemaphore(sem_name, 1, Flags.LINK_OR_CREATE)
    assert made.linked_existing_object is made.linked_existing_semaphore is False
    assert joined.linked_existing_object is joined.linked_existing_semaphore is True
    joined.close()
    made.close()


def test_stubs_need_nothing_newer_mypy_releases_lack():
    stub = pathlib.Path(nob.ipc.__file__).with_name("_semaphore.pyi").read_text()
    assert "disjoint_base" not in stub.replace("@disjoint_base, which", "")
    assert "typing_extensions" not in stub
