"""NamedMessageQueue(same_uid_only=True) refuses to join a queue another
user owns (PermissionError, nothing left open, nothing removed); the default
joins it, as POSIX does; creating and opening one's own are unaffected."""

import os

import pytest

from conftest import as_nobody, open_fds
from nob.ipc import Flags, NamedMessageQueue

pytestmark = pytest.mark.usefixtures("no_leftover_shm_mq")


def plant(name):
    q = NamedMessageQueue(name, 4, 64, handle_existence=Flags.RAISE_IF_EXISTS,
                          unlink_on_delete=False, mode=0o666)
    q.send(b"planted", priority=1)
    q.close()


@pytest.mark.parametrize("read,write", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("policy", [Flags.RAISE_IF_NOT_EXISTS, Flags.LINK_OR_CREATE])
def test_same_uid_only_refuses_another_users_queue(policy, read, write, sem_name):
    as_nobody(lambda: plant(sem_name))
    try:
        before = open_fds()
        with pytest.raises(PermissionError) as info:
            NamedMessageQueue(sem_name, 4, 64, read, write, policy, same_uid_only=True)
        assert info.value.filename == "/" + sem_name
        assert "owned by another user" in str(info.value)
        assert open_fds() == before
        assert NamedMessageQueue.exists(sem_name)
        with NamedMessageQueue(sem_name, handle_existence=policy) as joined:  # the default joins
            assert joined.linked_existing_object
            assert joined.receive(timeout=0) == (b"planted", 1)
    finally:
        NamedMessageQueue.remove(sem_name)


def test_same_uid_only_creates_and_opens_ones_own(sem_name):
    made = NamedMessageQueue(sem_name, 4, 64, handle_existence=Flags.LINK_OR_CREATE,
                             same_uid_only=True)
    made.send(b"mine")
    again = NamedMessageQueue(sem_name, write=False, same_uid_only=True)
    assert not made.linked_existing_object and again.linked_existing_object
    assert again.receive(timeout=0) == (b"mine", 0)
    again.close()
    made.close()
    assert not NamedMessageQueue.exists(sem_name)


def test_same_uid_only_must_be_a_bool(sem_name):
    with pytest.raises(ValueError):
        NamedMessageQueue(sem_name, 4, 64, handle_existence=Flags.LINK_OR_CREATE,
                          same_uid_only="yes")
    assert not NamedMessageQueue.exists(sem_name)
