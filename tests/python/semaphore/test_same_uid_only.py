"""same_uid_only=True refuses to join a semaphore another user owns
(PermissionError, nothing removed); the default joins it, as POSIX does."""

import os

import pytest

from conftest import run_child, shm_path
from nob.ipc import Flags, NamedSemaphore

NOBODY = 65534

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another user")


def make_as_nobody(name):
    """A real second uid: a child that becomes nobody creates a 0666 semaphore."""
    code = """
        import os, sys
        os.setgroups([]); os.setresgid(65534, 65534, 65534); os.setresuid(65534, 65534, 65534)
        from nob.ipc import Flags, NamedSemaphore
        s = NamedSemaphore(sys.argv[1], 3, Flags.RAISE_IF_EXISTS, unlink_on_delete=False, mode=0o666)
        s.close()
        print("made")
    """
    r = run_child(code, name)
    if r.returncode != 0:  # nobody may not read this Python: hand the file over instead
        NamedSemaphore(name, 3, Flags.RAISE_IF_EXISTS, unlink_on_delete=False, mode=0o666).close()
        os.chown(shm_path(name), NOBODY, NOBODY)
    assert os.stat(shm_path(name)).st_uid == NOBODY


@pytest.mark.parametrize("policy", [Flags.RAISE_IF_NOT_EXISTS, Flags.LINK_OR_CREATE])
def test_same_uid_only_refuses_another_users_semaphore(policy, sem_name):
    make_as_nobody(sem_name)
    try:
        with pytest.raises(PermissionError) as info:
            NamedSemaphore(sem_name, 1, policy, same_uid_only=True)
        assert info.value.filename == "/" + sem_name
        assert "owned by another user" in str(info.value)
        assert NamedSemaphore.exists(sem_name)
        joined = NamedSemaphore(sem_name, 1, policy)  # the default joins
        assert joined.linked_existing_semaphore and joined.value == 3
        joined.close()
    finally:
        NamedSemaphore.remove(sem_name)


def test_same_uid_only_opens_and_creates_ones_own(sem_name):
    made = NamedSemaphore(sem_name, 2, Flags.LINK_OR_CREATE, same_uid_only=True)
    again = NamedSemaphore(sem_name, same_uid_only=True)
    assert not made.linked_existing_semaphore and again.linked_existing_semaphore
    assert again.value == 2
    again.close()
    made.close()


def test_same_uid_only_must_be_a_bool(sem_name):
    with pytest.raises(ValueError):
        NamedSemaphore(sem_name, 1, Flags.LINK_OR_CREATE, same_uid_only=1)
    assert not NamedSemaphore.exists(sem_name)
