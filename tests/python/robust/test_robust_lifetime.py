"""The name lives as long as a live process has it open, so a pool never splits (issue 10's
A/B/C scenario); the last close removes it; persistent keeps it until unlink()/remove()."""

import os
import subprocess

import pytest

from nob.ipc import Flags, RobustSemaphore

from conftest import start_child, wait_for_line

OPEN_AND_HOLD = """
    import sys
    from nob.ipc import Flags, RobustSemaphore
    sem = RobustSemaphore(sys.argv[1], 1, Flags.LINK_OR_CREATE)
    print("linked" if sem.linked_existing_semaphore else "created", flush=True)
    if sys.argv[2] == "hold":
        assert sem.acquire(timeout=30)
        print("holding", flush=True)
    sys.stdin.readline()
    sem.close()
"""


def start(name, what):
    return start_child(OPEN_AND_HOLD, name, what, stdin=subprocess.PIPE)


def finish(child):
    child.stdin.close()
    assert child.wait(30) == 0, child.stderr.read()


def test_the_pool_never_splits_when_its_creator_leaves(sem_name):
    a = start(sem_name, "open")
    wait_for_line(a, "created")
    b = start(sem_name, "hold")
    wait_for_line(b, "linked")
    wait_for_line(b, "holding")
    finish(a)  # A ends normally: the name must stay, B still uses it
    assert RobustSemaphore.exists(sem_name)
    c = RobustSemaphore(sem_name, 1, Flags.LINK_OR_CREATE)
    assert c.linked_existing_semaphore
    assert c.acquire(False) is False  # B holds the only slot
    assert [h.pid for h in c.holders()] == [b.pid]
    b.kill()
    b.wait()
    assert c.acquire(timeout=10) is True
    c.release()
    c.close()
    assert not RobustSemaphore.exists(sem_name)


def test_the_last_close_in_any_process_removes_the_name(sem_name):
    a = RobustSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    child = start(sem_name, "open")
    wait_for_line(child, "linked")
    a.close()
    assert RobustSemaphore.exists(sem_name)
    finish(child)
    assert not RobustSemaphore.exists(sem_name)
    assert not [f for f in os.listdir("/dev/shm") if sem_name in f]


def test_persistent_outlives_every_user_until_removed(sem_name):
    child = start_child(
        """
        import sys
        from nob.ipc import Flags, RobustSemaphore
        sem = RobustSemaphore(sys.argv[1], 2, Flags.RAISE_IF_EXISTS, persistent=True)
        sem.acquire()
        """,
        sem_name,
    )
    assert child.wait(30) == 0, child.stderr.read()
    assert RobustSemaphore.exists(sem_name)
    again = RobustSemaphore(sem_name)
    assert (again.persistent, again.value, again.holders()) == (True, 2, [])
    again.close()
    assert RobustSemaphore.exists(sem_name)
    assert RobustSemaphore.remove(sem_name) is True
    assert not RobustSemaphore.exists(sem_name)


@pytest.mark.parametrize("persistent", [False, True])
def test_unlink_removes_the_name_at_once_even_when_persistent(sem_name, persistent):
    sem = RobustSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS, persistent=persistent)
    sem.unlink()
    assert not RobustSemaphore.exists(sem_name)
    other = RobustSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)  # a new pool may take the name
    assert sem.acquire(False) and other.acquire(False)
    sem.release()
    other.release()
    sem.close()
    other.close()
    assert not RobustSemaphore.exists(sem_name)
