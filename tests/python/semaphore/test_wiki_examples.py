"""The user's page ("Named Semaphores python bridge") works exactly as written."""

import importlib.metadata  # asked for as "nob-py": Python 3.9's finds no "nob.py" (no name normalization)
import os
import time

import pytest

from nob.ipc import Flags, NamedSemaphore

from conftest import run_child, sem_exists

# The page's three snippets, verbatim and in order. The last one's body is
# only a comment on the page, which Python cannot run alone: `pass` follows it.
PAGE_EXAMPLE = """
from nob.ipc import NamedSemaphore

sem = NamedSemaphore("/my_semaphore", handle_existence=NamedSemaphore.Flags.LINK_OR_CREATE)

sem.acquire()
# critical section
sem.release()

with sem:
    # critical section
    pass

print("value", sem.value, "linked", sem.linked_existing_semaphore)
"""


def test_the_page_examples_run_as_written():
    existed = sem_exists("/my_semaphore")
    r = run_child(PAGE_EXAMPLE)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[:2] == ["value", "1"] or existed
    if not existed:  # it created the name, so deleting the object unlinked it
        assert r.stdout.split()[3] == "False"
        assert not sem_exists("/my_semaphore")


def test_the_ipc_extra_exists_and_needs_nothing():
    meta = importlib.metadata.metadata("nob-py")
    assert meta["Name"] == "nob.py"
    assert "ipc" in (meta.get_all("Provides-Extra") or [])
    requires = importlib.metadata.requires("nob-py") or []
    assert not [r for r in requires if "extra == \"ipc\"" in r]


@pytest.mark.parametrize(
    "flag, exists_before, expect",
    [
        ("RAISE_IF_EXISTS", False, "created"),
        ("RAISE_IF_EXISTS", True, FileExistsError),
        ("LINK_OR_CREATE", False, "created"),
        ("LINK_OR_CREATE", True, "linked"),
        ("RAISE_IF_NOT_EXISTS", False, FileNotFoundError),
        ("RAISE_IF_NOT_EXISTS", True, "linked"),
        ("UNLINK_AND_CREATE", False, "created"),
        ("UNLINK_AND_CREATE", True, "created"),
    ],
)
def test_handle_existence_as_the_page_describes(sem_name, flag, exists_before, expect):
    first = NamedSemaphore(sem_name, handle_existence=Flags.RAISE_IF_EXISTS) if exists_before else None
    policy = getattr(NamedSemaphore.Flags, flag)
    try:
        if isinstance(expect, type):
            with pytest.raises(expect):
                NamedSemaphore(sem_name, handle_existence=policy)
        else:
            sem = NamedSemaphore(sem_name, handle_existence=policy)
            assert sem.linked_existing_semaphore is (expect == "linked")
            sem.close()
    finally:
        if first is not None:
            first.close()
    NamedSemaphore.remove(sem_name)


def test_deleted_object_unlinks_only_what_it_created(sem_name):
    creator = NamedSemaphore(sem_name, handle_existence=NamedSemaphore.Flags.LINK_OR_CREATE)
    linker = NamedSemaphore(sem_name, handle_existence=NamedSemaphore.Flags.LINK_OR_CREATE)
    del linker  # "Else, the semaphore is only closed."
    assert sem_exists(sem_name)
    del creator  # "automatically unlinked when the object is deleted if it was created by this handle"
    assert not sem_exists(sem_name)


def test_blocking_timeout_and_release_n_as_the_page_describes(sem_name):
    sem = NamedSemaphore(sem_name, 1, handle_existence=NamedSemaphore.Flags.LINK_OR_CREATE)
    assert sem.acquire(blocking=False) is True
    assert sem.acquire(blocking=False) is False
    start = time.monotonic()
    assert sem.acquire(timeout=0.2) is False
    assert 0.2 <= time.monotonic() - start < 2.2
    sem.release(3)
    assert sem.value == 3
    assert all(sem.acquire() for _ in range(3))
    sem.close()


