"""RobustSemaphore(same_uid_only=True) refuses to join a semaphore another
user owns (PermissionError; nothing registered, nothing removed); the
default joins it."""

import os

import pytest

from conftest import run_child
from nob.ipc import Flags, RobustSemaphore

NOBODY = 65534

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another user")


def path_of(name):
    return "/dev/shm/nob." + name.lstrip("/")


def make_as_nobody(name, persistent=True):
    """A file owned by uid 65534 (0666, 3 units): persistent, or stale (its
    maker ended without closing)."""
    code = """
        import os, sys
        if sys.argv[3] == "1":
            os.setgroups([]); os.setresgid(65534, 65534, 65534); os.setresuid(65534, 65534, 65534)
        from nob.ipc import Flags, RobustSemaphore
        s = RobustSemaphore(sys.argv[1], 3, Flags.RAISE_IF_EXISTS, mode=0o666,
                            persistent=sys.argv[2] == "1")
        if sys.argv[2] != "1":
            os._exit(0)
        s.close()
    """
    flag = "1" if persistent else "0"
    if run_child(code, name, flag, "1").returncode != 0:
        # nobody may not read this Python: make it as root, then hand it over
        assert run_child(code, name, flag, "0").returncode == 0
        os.chown(path_of(name), NOBODY, NOBODY)
        os.chown("/dev/shm/nob~" + name.lstrip("/"), NOBODY, NOBODY)  # and its lock file
    assert os.stat(path_of(name)).st_uid == NOBODY


@pytest.mark.parametrize("policy", [Flags.RAISE_IF_NOT_EXISTS, Flags.LINK_OR_CREATE])
def test_same_uid_only_refuses_another_users_semaphore(policy, sem_name):
    make_as_nobody(sem_name)
    try:
        with pytest.raises(PermissionError) as info:
            RobustSemaphore(sem_name, 1, policy, same_uid_only=True)
        assert info.value.filename == "/" + sem_name
        assert "owned by another user" in str(info.value)
        assert os.path.exists(path_of(sem_name))
        joined = RobustSemaphore(sem_name, 1, policy)  # the default joins
        assert joined.linked_existing_semaphore and joined.value == 3 and joined.held == 0
        joined.close()
    finally:
        RobustSemaphore.remove(sem_name)


def test_a_refused_stale_semaphore_is_not_removed(sem_name):
    make_as_nobody(sem_name, persistent=False)
    try:
        with pytest.raises(PermissionError):
            RobustSemaphore(sem_name, 1, Flags.LINK_OR_CREATE, same_uid_only=True)
        assert os.path.exists(path_of(sem_name))
    finally:
        RobustSemaphore.remove(sem_name)
    assert not os.path.exists(path_of(sem_name))


def test_same_uid_only_opens_and_creates_ones_own(sem_name):
    made = RobustSemaphore(sem_name, 2, Flags.LINK_OR_CREATE, same_uid_only=True)
    again = RobustSemaphore(sem_name, same_uid_only=True)
    assert not made.linked_existing_semaphore and again.linked_existing_semaphore
    assert again.value == 2
    again.close()
    made.close()


def test_same_uid_only_must_be_a_bool(sem_name):
    with pytest.raises(ValueError):
        RobustSemaphore(sem_name, 1, Flags.LINK_OR_CREATE, same_uid_only=1)
    assert not RobustSemaphore.exists(sem_name)
