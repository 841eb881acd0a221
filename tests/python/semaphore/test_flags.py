"""Flags: each existence policy, both spellings, and what only matters on creation."""

import enum
import os
import stat

import pytest

import nob.ipc
from nob.ipc import Flags, NamedSemaphore

from conftest import sem_exists, shm_path


def test_flags_is_an_enum_reachable_both_ways():
    assert issubclass(Flags, enum.Enum)
    assert NamedSemaphore.Flags is Flags
    assert nob.ipc.NamedSemaphore.Flags is nob.ipc.Flags
    assert [f.name for f in Flags] == [
        "RAISE_IF_EXISTS",
        "LINK_OR_CREATE",
        "RAISE_IF_NOT_EXISTS",
        "UNLINK_AND_CREATE",
    ]
    assert len({f.value for f in Flags}) == 4


def test_default_policy_is_raise_if_not_exists(sem_name):
    with pytest.raises(FileNotFoundError):
        NamedSemaphore(sem_name)
    assert not sem_exists(sem_name)


def test_raise_if_exists_creates_then_refuses(sem_name):
    sem = NamedSemaphore(sem_name, 3, NamedSemaphore.Flags.RAISE_IF_EXISTS)
    assert sem.linked_existing_semaphore is False
    assert sem.unlink_on_delete is True
    assert sem.value == 3
    with pytest.raises(FileExistsError):
        NamedSemaphore(sem_name, handle_existence=Flags.RAISE_IF_EXISTS)
    assert sem.value == 3
    sem.close()
    assert not sem_exists(sem_name)


def test_link_or_create_creates_then_links(sem_name):
    first = NamedSemaphore(sem_name, 2, handle_existence=Flags.LINK_OR_CREATE)
    second = NamedSemaphore(sem_name, 7, handle_existence=NamedSemaphore.Flags.LINK_OR_CREATE)
    assert first.linked_existing_semaphore is False
    assert second.linked_existing_semaphore is True
    assert second.unlink_on_delete is False
    assert second.value == 2  # initial_value ignored when linking
    second.release()
    assert first.value == 3
    second.close()
    assert sem_exists(sem_name)  # the linking handle does not unlink
    first.close()
    assert not sem_exists(sem_name)


def test_raise_if_not_exists_links(sem_name):
    owner = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    other = NamedSemaphore(sem_name, handle_existence=Flags.RAISE_IF_NOT_EXISTS)
    assert other.linked_existing_semaphore is True
    other.release(2)
    assert owner.value == 2
    other.close()
    owner.close()


def test_unlink_and_create_replaces_an_existing_semaphore(sem_name):
    old = NamedSemaphore(sem_name, 5, Flags.RAISE_IF_EXISTS)
    old_inode = os.stat(shm_path(sem_name)).st_ino
    new = NamedSemaphore(sem_name, 1, Flags.UNLINK_AND_CREATE)
    assert new.linked_existing_semaphore is False
    assert new.value == 1
    assert old.value == 5  # the old semaphore lives on, nameless
    assert os.stat(shm_path(sem_name)).st_ino != old_inode
    old.close()  # must not unlink the new semaphore's name
    assert sem_exists(sem_name)
    new.close()
    assert not sem_exists(sem_name)


def test_unlink_and_create_without_an_existing_one(sem_name):
    sem = NamedSemaphore(sem_name, 0, Flags.UNLINK_AND_CREATE)
    assert sem.value == 0 and not sem.linked_existing_semaphore
    sem.close()


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o644, 0o666, 0o400])
def test_mode_is_applied_exactly_whatever_the_umask(sem_name, mode):
    old = os.umask(0o077)
    try:
        sem = NamedSemaphore(sem_name, handle_existence=Flags.RAISE_IF_EXISTS, mode=mode)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(shm_path(sem_name)).st_mode) == mode
    sem.close()


def test_mode_is_ignored_when_linking(sem_name):
    owner = NamedSemaphore(sem_name, handle_existence=Flags.RAISE_IF_EXISTS, mode=0o600)
    other = NamedSemaphore(sem_name, handle_existence=Flags.LINK_OR_CREATE, mode=0o666)
    assert stat.S_IMODE(os.stat(shm_path(sem_name)).st_mode) == 0o600
    other.close()
    owner.close()


def test_initial_value_bounds(sem_name, make_name):
    top = NamedSemaphore(sem_name, nob.ipc.SEMAPHORE_VALUE_MAX, Flags.RAISE_IF_EXISTS)
    assert top.value == nob.ipc.SEMAPHORE_VALUE_MAX
    top.close()
    zero = NamedSemaphore(make_name("zero"), 0, Flags.RAISE_IF_EXISTS)
    assert zero.value == 0
    zero.close()
    with pytest.raises(ValueError):
        NamedSemaphore(sem_name, nob.ipc.SEMAPHORE_VALUE_MAX + 1, Flags.RAISE_IF_EXISTS)
    assert not sem_exists(sem_name)
