"""A stale RobustSemaphore of another user (issue 19 item 1): a 0666 pool whose users all died
(a crash is enough). The sticky /dev/shm refuses this user's unlink with EPERM; opening used to
take that as "absent" and loop create -> EEXIST -> attach -> absent for ever at 99% CPU (Ctrl+C
did not stop it), while exists() and remove() said False. Now no loop is unbounded:
LINK_OR_CREATE joins and revives it (this user may write it), the creating policies are refused
with an error that names the owner, RAISE_IF_NOT_EXISTS says FileNotFoundError (a stale object
counts as absent), remove() says why it cannot, and status() tells what is there.
Played by two real users (robust_two_users.py)."""

import errno
import os
import time

import pytest

from nob.ipc import Flags, RobustSemaphore

from robust_two_users import AsUser, as_user, pause_forever, users  # noqa: F401 - fixture


@pytest.fixture
def stale(sem_name, users):  # noqa: F811 - the fixture above
    """The attacker's 0666 semaphore of 2 units, one held by its process, which is then
    SIGKILLed: stale, and this test's victim cannot remove it. Removed (as root) afterwards."""
    victim, attacker = users

    def own(ready):
        sem = RobustSemaphore(sem_name, 2, Flags.RAISE_IF_EXISTS, mode=0o666)
        sem.acquire()
        ready()
        pause_forever()

    owner = AsUser(attacker, own, pass_ready=True)
    try:
        assert owner.ready()
    finally:
        owner.kill()
    assert os.path.exists("/dev/shm/nob." + sem_name)
    yield victim, attacker[0]
    RobustSemaphore.remove(sem_name)


def timed(fn):
    """(seconds taken, fn's result or the exception it raised as (type name, errno, text))."""
    t0 = time.monotonic()
    try:
        out = fn()
    except OSError as e:
        out = (type(e).__name__, e.errno, str(e))
    return time.monotonic() - t0, out


def test_link_or_create_joins_and_revives_it(sem_name, stale):
    victim, _ = stale

    def join():
        def opened():
            sem = RobustSemaphore(sem_name, 5, Flags.LINK_OR_CREATE)
            try:
                return (sem.linked_existing_semaphore, sem.capacity, sem.value,
                        sem.acquire(blocking=False), sem.acquire(blocking=False),
                        [h.pid == os.getpid() and h.units for h in sem.holders()],
                        RobustSemaphore.exists(sem_name))
            finally:
                sem.close()
        return timed(opened)

    took, got = as_user(victim, join, timeout=30)
    assert took < 2.0  # it used to spin for ever
    assert got == (True, 2, 2, True, True, [2], True)  # the dead holder's unit is free again
    assert os.path.exists("/dev/shm/nob." + sem_name)  # the victim cannot remove it: stale again


@pytest.mark.parametrize("flag", [Flags.RAISE_IF_EXISTS, Flags.UNLINK_AND_CREATE], ids=lambda f: f.name)
def test_the_creating_policies_are_refused_naming_the_owner(sem_name, stale, flag):
    victim, owner = stale
    took, got = as_user(victim, timed, lambda: RobustSemaphore(sem_name, 1, flag), timeout=30)
    assert took < 2.0
    kind, code, text = got
    assert (kind, code) == ("PermissionError", errno.EPERM)
    assert f"uid {owner}" in text


def test_opening_it_says_absent(sem_name, stale):
    victim, owner = stale
    took, got = as_user(victim, timed, lambda: RobustSemaphore(sem_name), timeout=30)
    assert took < 2.0
    assert got[:2] == ("FileNotFoundError", errno.ENOENT)
    assert f"uid {owner}" in got[2]


def test_exists_remove_and_status_tell_the_truth(sem_name, stale):
    victim, owner = stale

    def look():
        return (RobustSemaphore.exists(sem_name), tuple(RobustSemaphore.status(sem_name)),
                timed(lambda: RobustSemaphore.remove(sem_name))[1])

    exists, status, removed = as_user(victim, look, timeout=30)
    assert exists is False  # no live user: absent in the contract's sense
    assert status == ("stale", owner, 0o666)
    assert removed[:2] == ("PermissionError", errno.EPERM) and f"uid {owner}" in removed[2]
    assert RobustSemaphore.status(sem_name).state == "stale"
    assert RobustSemaphore.remove(sem_name) is False  # root may: gone (it was stale)
    assert RobustSemaphore.status(sem_name) == ("absent", 0, 0)
    assert not os.path.exists("/dev/shm/nob~" + sem_name)
