"""Only a holder of a robust semaphore's file-wide lock removes its lock file's name
(docs/robust.md, "The names change together"). RobustSemaphore.remove() and `nob-sem unlink`
that find the lock busy remove the data file's name alone and leave the lock file, an orphan
that the next look at the name removes. Before, both removed the lock file by name without its
lock: a lock file whose lock is busy may be a creator's, between its two names (or become one
between the look and the unlink), and a creator whose lock file is taken links a data file
without one, which the next open deletes and replaces: two semaphores under one name, the unit
of a capacity-1 semaphore held twice (found by review, reproduced with stopped processes)."""

import os

from test_cli_support import cli
from test_robust_lock_held import hold_file_lock

from nob.ipc import Flags, RobustSemaphore


def _paths(name):
    return "/dev/shm/nob." + name, "/dev/shm/nob~" + name


def _removed_while_the_lock_is_held(name, remove):
    data, lock = _paths(name)
    RobustSemaphore("/" + name, 1, Flags.RAISE_IF_EXISTS, persistent=True).close()
    fd = hold_file_lock("/" + name)  # what an opener, closer or creator holds for a moment
    try:
        remove()
        left = (os.path.exists(data), os.path.exists(lock))
    finally:
        os.close(fd)
    assert not RobustSemaphore.exists("/" + name)  # the next look removes the orphan
    assert not os.path.exists(lock)
    return left


def test_remove_with_the_lock_busy_leaves_the_lock_file(sem_name):
    assert _removed_while_the_lock_is_held(sem_name, lambda: RobustSemaphore.remove("/" + sem_name)) == (False, True)


def test_nob_sem_unlink_with_the_lock_busy_leaves_the_lock_file(sem_name):
    def unlink():
        r = cli("unlink", "--kind", "robust", "/" + sem_name)
        assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)

    assert _removed_while_the_lock_is_held(sem_name, unlink) == (False, True)


def test_with_the_lock_free_both_names_go(sem_name):
    data, lock = _paths(sem_name)
    RobustSemaphore("/" + sem_name, 1, Flags.RAISE_IF_EXISTS, persistent=True).close()
    assert cli("unlink", "--kind", "robust", "/" + sem_name).returncode == 0
    assert not os.path.exists(data) and not os.path.exists(lock)
    RobustSemaphore("/" + sem_name, 1, Flags.RAISE_IF_EXISTS, persistent=True).close()
    assert RobustSemaphore.remove("/" + sem_name)
    assert not os.path.exists(data) and not os.path.exists(lock)
