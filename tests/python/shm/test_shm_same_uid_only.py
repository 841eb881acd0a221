"""NamedSharedMemory(same_uid_only=True) refuses to join an object another
user owns (PermissionError, nothing left open, nothing removed); the default
joins it, as POSIX does; creating and opening one's own are unaffected."""

import os

import pytest

from conftest import NOBODY, as_nobody, open_fds
from nob.ipc import Flags, NamedSharedMemory

pytestmark = pytest.mark.usefixtures("no_leftover_shm_mq")


def plant(name):
    shm = NamedSharedMemory(name, 64, handle_existence=Flags.RAISE_IF_EXISTS,
                            unlink_on_delete=False, mode=0o666)
    with shm.mmap() as m:
        m[0] = 42
    shm.close()


@pytest.mark.parametrize("read_only", [False, True])
@pytest.mark.parametrize("policy", [Flags.RAISE_IF_NOT_EXISTS, Flags.LINK_OR_CREATE])
def test_same_uid_only_refuses_another_users_object(policy, read_only, sem_name):
    as_nobody(lambda: plant(sem_name))
    try:
        assert os.stat("/dev/shm/" + sem_name).st_uid == NOBODY
        before = open_fds()
        with pytest.raises(PermissionError) as info:
            NamedSharedMemory(sem_name, 16, read_only, policy, same_uid_only=True)
        assert info.value.filename == "/" + sem_name
        assert "owned by another user" in str(info.value)
        assert open_fds() == before
        assert NamedSharedMemory.exists(sem_name)
        with NamedSharedMemory(sem_name, 16, read_only, policy) as joined:  # the default joins
            assert joined.linked_existing_object and joined.size == 64
            with joined.mmap() as m:
                assert m[0] == 42
    finally:
        NamedSharedMemory.remove(sem_name)


def test_same_uid_only_creates_and_opens_ones_own(sem_name):
    made = NamedSharedMemory(sem_name, 32, handle_existence=Flags.LINK_OR_CREATE,
                             same_uid_only=True)
    again = NamedSharedMemory(sem_name, read_only=True, same_uid_only=True)
    assert not made.linked_existing_object and again.linked_existing_object
    assert again.size == 32
    again.close()
    made.close()
    assert not NamedSharedMemory.exists(sem_name)


def test_same_uid_only_must_be_a_bool(sem_name):
    with pytest.raises(ValueError):
        NamedSharedMemory(sem_name, 8, handle_existence=Flags.LINK_OR_CREATE, same_uid_only=1)
    assert not NamedSharedMemory.exists(sem_name)
